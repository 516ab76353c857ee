/**
 * Latency histograms over fixed buckets, so rollups of any rows and any range merge by adding
 * counts and percentiles come from the sums. Upper bounds in ms; the last bucket is everything above.
 * (The migration's rollup_hist_add adds arrays element-wise; keep the length in step with it.)
 */
export const LATENCY_BOUNDS_MS = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000] as const;
export const HISTOGRAM_BUCKETS = LATENCY_BOUNDS_MS.length + 1;
type Bounds = readonly number[];

export type Histogram = number[];

export function emptyHistogram(): Histogram {
  return new Array<number>(HISTOGRAM_BUCKETS).fill(0);
}

/** The bucket a value falls in: the first bound it does not exceed, else the overflow bucket. */
export function bucketOf(ms: number, bounds: Bounds = LATENCY_BOUNDS_MS): number {
  for (let i = 0; i < bounds.length; i++) if (ms <= bounds[i]!) return i;
  return bounds.length;
}

export function addHistograms(a: Histogram, b: Histogram): Histogram {
  return a.map((count, i) => count + (b[i] ?? 0));
}

/**
 * The q-quantile (0..1), interpolated linearly inside its bucket; the overflow bucket reports its
 * lower bound (a floor: "above 60 s"). Undefined for an empty histogram.
 */
export function histogramQuantile(
  histogram: Histogram,
  q: number,
  bounds: Bounds = LATENCY_BOUNDS_MS,
): number | undefined {
  const total = histogram.reduce((sum, count) => sum + count, 0);
  if (!total) return undefined;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    const count = histogram[i]!;
    if (count && seen + count >= rank) {
      const low = i === 0 ? 0 : bounds[i - 1]!;
      const high = bounds[i];
      if (high === undefined) return low;
      return low + ((high - low) * Math.max(0, rank - seen)) / count;
    }
    seen += count;
  }
  return bounds[bounds.length - 1];
}
