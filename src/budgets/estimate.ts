import { priceFor } from '../providers/pricing';
import type { Target } from '../routing/fallbackChain';

/**
 * Output tokens a budgeted request may produce when neither the caller nor the prompt bounds them:
 * the gateway sets this max_tokens on such a request, so its reservation is a real upper bound.
 */
export const BUDGETED_DEFAULT_MAX_TOKENS = 4096;

/** Tokens a chat turn adds beyond its text (role markers, separators), with room to spare. */
const PER_MESSAGE_OVERHEAD = 8;

/**
 * An upper bound on the tokens of some messages: their UTF-8 bytes. Every byte-level BPE tokenizer
 * (OpenAI's, Anthropic's, Llama's) covers at least one byte per token, so no text — punctuation,
 * CJK, emoji, base64 — can cost more. English runs near four bytes a token, so for prose this is
 * about four times the real count; it is what a hard budget and the input cap must assume.
 * (A real tokenizer was tried: gpt-tokenizer needs minutes for 100k emoji, a denial of service.)
 */
export function inputTokenBound(texts: readonly string[]): number {
  let bytes = 0;
  for (const text of texts) bytes += Buffer.byteLength(text, 'utf8') + PER_MESSAGE_OVERHEAD;
  return bytes;
}

/**
 * A typical token count (about three characters a token): for choices that are not limits, such as
 * routing short inputs to a cheaper model, where an adversary gains nothing by being undercounted.
 */
export function typicalTokenEstimate(texts: readonly string[]): number {
  let chars = 0;
  for (const text of texts) chars += text.length;
  return Math.ceil(chars / 3) + 4 * texts.length;
}

/** Upper bound on the tokens of text already streamed to a caller (for charging a cut stream). */
export function outputTokenBound(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The rates a budget must assume for a fallback chain: the highest input and output rates of any target. */
export type ChainPrice =
  { kind: 'priced'; inputPerM: number; outputPerM: number } | { kind: 'unpriced'; model: string };

export function chainPrice(targets: readonly Target[], at: Date = new Date()): ChainPrice {
  let inputPerM = 0;
  let outputPerM = 0;
  for (const target of targets) {
    const price = priceFor(target.model, at);
    if (!price) return { kind: 'unpriced', model: target.model };
    inputPerM = Math.max(inputPerM, price.input);
    outputPerM = Math.max(outputPerM, price.output);
  }
  return { kind: 'priced', inputPerM, outputPerM };
}

/** USD a call can cost at most: every input token uncached, every allowed output token used, at the chain's highest rates. */
export function reservationUsd(
  price: Extract<ChainPrice, { kind: 'priced' }>,
  inputTokens: number,
  maxOutputTokens: number,
): number {
  return (inputTokens * price.inputPerM + maxOutputTokens * price.outputPerM) / 1_000_000;
}
