import {
  addHistograms,
  bucketOf,
  emptyHistogram,
  HISTOGRAM_BUCKETS,
  histogramQuantile,
  LATENCY_BOUNDS_MS,
} from '../../../src/monitoring/histogram';

const histogramOf = (values: number[]) => {
  const h = emptyHistogram();
  for (const v of values) h[bucketOf(v)]! += 1;
  return h;
};

describe('latency histogram', () => {
  it('puts a value in the first bucket whose bound it does not exceed, past the last in overflow', () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(10)).toBe(0);
    expect(bucketOf(10.01)).toBe(1);
    expect(bucketOf(60_000)).toBe(LATENCY_BOUNDS_MS.length - 1);
    expect(bucketOf(61_000)).toBe(HISTOGRAM_BUCKETS - 1);
  });

  it('merges by adding counts, so the quantile of two halves is the quantile of the whole', () => {
    const fast = Array.from({ length: 90 }, (_, i) => 20 + (i % 5));
    const slow = Array.from({ length: 10 }, () => 3000);
    const merged = addHistograms(histogramOf(fast), histogramOf(slow));
    expect(merged).toEqual(histogramOf([...fast, ...slow]));
    // p50 lies in the 10-25 ms bucket, p99 in the 2.5-5 s bucket.
    expect(histogramQuantile(merged, 0.5)).toBeGreaterThan(10);
    expect(histogramQuantile(merged, 0.5)).toBeLessThanOrEqual(25);
    expect(histogramQuantile(merged, 0.99)).toBeGreaterThan(2500);
    expect(histogramQuantile(merged, 0.99)).toBeLessThanOrEqual(5000);
  });

  it('has no quantile when empty and reports the overflow bucket by its floor', () => {
    expect(histogramQuantile(emptyHistogram(), 0.5)).toBeUndefined();
    expect(histogramQuantile(histogramOf([90_000]), 0.99)).toBe(60_000);
  });
});
