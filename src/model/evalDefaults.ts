/** Defaults shared by the CLI and workflow code (which must not import Node-only modules). */
export const DEFAULT_JUDGE_MODEL = 'gpt-4.1-mini-2025-04-14';
export const DEFAULT_EVAL_CONCURRENCY = 8;
/** Cases per activity call: small enough that a killed worker redoes little, large enough to keep history short. */
export const DEFAULT_EVAL_CHUNK_SIZE = 20;

/** Split a list into consecutive chunks of at most `size`. */
export function chunked<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}
