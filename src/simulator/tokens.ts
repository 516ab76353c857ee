const TOKEN = /[A-Za-z]+|\d+|[^\sA-Za-z\d]/g;

/**
 * A token count close to what BPE tokenizers give for English: one per word piece of up to
 * ~6 letters, one per digit run and punctuation mark. Real enough for budgets and cost.
 */
export function countTokens(text: string): number {
  let count = 0;
  for (const match of text.matchAll(TOKEN)) count += Math.max(1, Math.ceil(match[0].length / 6));
  return count;
}

/** Split text into stream chunks of about one token each, keeping the spaces. */
export function streamPieces(text: string): string[] {
  return text.match(/\s*\S+/g) ?? (text ? [text] : []);
}
