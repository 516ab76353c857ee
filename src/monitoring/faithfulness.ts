/**
 * A faithfulness proxy for answers whose request carried its retrieved context (RAG): the share of
 * the answer's content words that occur in the context. No judge call, so it scores every such
 * answer; it cannot tell a paraphrase from an invention, but a model that stops using its context
 * (or a retriever that stops finding it) moves the share down, which is what the monitor watches.
 */

// Words that carry no claim: they occur in any context and would make every answer look grounded.
const STOPWORDS = new Set(
  (
    'a an and are as at be been but by can could did do does for from had has have he her his how i if in into is it ' +
    'its may me might my no not of on or our she should so than that the their them then there these they this ' +
    'those to too was we were what when where which who why will with would you your yes also about after before ' +
    'just more most only other over some such very'
  ).split(' '),
);

/**
 * The proxy reads at most this much of the passages and of the answer: it runs on the gateway's
 * event loop, and a 1 MB body of passages took 30-50 ms to score whole.
 */
const MAX_CONTEXT_CHARS = 100_000;
const MAX_ANSWER_CHARS = 20_000;

/** Lower-cased words of 3+ letters or digits, minus stopwords. */
function contentWords(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? []).filter((word) => !STOPWORDS.has(word));
}

/**
 * The share (0..1) of the answer's content words found in the context (its first 100,000
 * characters), or null when there is nothing to score (no context, or an answer without content words).
 */
export function faithfulnessProxy(answer: string, context: readonly string[]): number | null {
  if (!context.length) return null;
  const words = contentWords(answer.slice(0, MAX_ANSWER_CHARS));
  if (!words.length) return null;
  const known = new Set(contentWords(context.join('\n').slice(0, MAX_CONTEXT_CHARS)));
  let supported = 0;
  for (const word of words) if (known.has(word)) supported += 1;
  return Number((supported / words.length).toFixed(4));
}
