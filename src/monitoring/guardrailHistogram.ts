import { GUARDRAIL_IDS } from '../guardrails/guardrailIds';
import { bucketOf, type Histogram } from './histogram';

/**
 * Each built-in guardrail's latency as a histogram, kept in a rollup as one fixed array: the
 * guardrails' histograms one after the other, in GUARDS order. Guardrails run in microseconds to
 * tens of milliseconds, so their bounds are finer than requests'. The migration's default and
 * array length (008) follow GUARD_HIST_LENGTH.
 */
export const GUARD_BOUNDS_MS = [0.5, 1, 5, 25, 100] as const;
const GUARD_BUCKETS = GUARD_BOUNDS_MS.length + 1;
export const GUARDS: readonly string[] = Object.values(GUARDRAIL_IDS);
export const GUARD_HIST_LENGTH = GUARDS.length * GUARD_BUCKETS;

export function emptyGuardHistogram(): Histogram {
  return new Array<number>(GUARD_HIST_LENGTH).fill(0);
}

/** Count one run of a guardrail (one not built in is not kept). */
export function countGuardRun(histogram: Histogram, guard: string, ms: number): void {
  const index = GUARDS.indexOf(guard);
  if (index >= 0) histogram[index * GUARD_BUCKETS + bucketOf(ms, GUARD_BOUNDS_MS)]! += 1;
}

/** The guardrails' own histograms out of a summed array (only those that ran). */
export function guardHistograms(histogram: ReadonlyArray<number | string>): Map<string, Histogram> {
  const result = new Map<string, Histogram>();
  GUARDS.forEach((guard, index) => {
    const own = histogram.slice(index * GUARD_BUCKETS, (index + 1) * GUARD_BUCKETS).map(Number);
    if (own.some((count) => count > 0)) result.set(guard, own);
  });
  return result;
}
