import { priceFor } from '../providers/pricing';

/** Output tokens assumed when neither the request nor the prompt bounds them. */
const DEFAULT_OUTPUT_TOKENS_ESTIMATE = 1024;

/**
 * Input tokens of text, erring high (about 3 characters a token; English runs near 4), because the
 * estimate is what a budget holds before the call and the real usage only settles after it.
 */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3) + 4;
}

/** An upper-leaning cost estimate: every input token uncached, and the full output allowance used. */
export function estimateCostUsd(model: string, inputTokens: number, maxOutputTokens: number | undefined): number {
  const price = priceFor(model);
  if (!price) return 0;
  return (inputTokens * price.input + (maxOutputTokens ?? DEFAULT_OUTPUT_TOKENS_ESTIMATE) * price.output) / 1_000_000;
}
