// Phrases models use to decline. Anchored loosely: a refusal usually leads with one of these.
const REFUSAL =
  /\b(I'm sorry,? but|I am sorry,? but|I can(?:'|no)t (?:help|assist|do|provide|comply)|I(?:'m| am) (?:not able|unable) to|I won't be able to|As an AI\b|I must decline)/i;

/** True when the text reads as the model declining to answer. */
export function isRefusal(text: string): boolean {
  return REFUSAL.test(text.slice(0, 300));
}
