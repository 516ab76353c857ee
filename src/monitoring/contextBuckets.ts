/**
 * Context-length buckets by a request's input tokens: latency and availability objectives per
 * context length (a long-context request is slower by nature, and a provider can fail only there).
 * Upper bounds are exclusive; the last bucket takes everything above.
 */
export const CONTEXT_BUCKETS = [
  { name: 'under-1k', below: 1_000 },
  { name: '1k-8k', below: 8_000 },
  { name: '8k-32k', below: 32_000 },
  { name: '32k-128k', below: 128_000 },
  { name: '128k-up', below: Infinity },
] as const;

export type ContextBucket = (typeof CONTEXT_BUCKETS)[number]['name'];

export function contextBucketOf(inputTokens: number): ContextBucket {
  return CONTEXT_BUCKETS.find((bucket) => inputTokens < bucket.below)!.name;
}

/** The same bucketing in SQL, over a column of input tokens (request rows read directly). */
export function contextBucketSql(column: string): string {
  const bounded = CONTEXT_BUCKETS.filter((bucket) => Number.isFinite(bucket.below));
  return `CASE ${bounded.map((b) => `WHEN ${column} < ${b.below} THEN '${b.name}'`).join(' ')} ELSE '${
    CONTEXT_BUCKETS[CONTEXT_BUCKETS.length - 1].name
  }' END`;
}
