import { meanEstimate, pairedComparison, proportionEstimate } from '../../../src/analysis/stats';

describe('statistics', () => {
  it('gives a t interval for a mean', () => {
    // mean 3, sd sqrt(2.5)=1.5811, n=5, t(4)=2.776 -> half = 2.776*1.5811/2.2361 = 1.9629
    const e = meanEstimate([1, 2, 3, 4, 5]);
    expect(e.mean).toBe(3);
    expect(e.high - e.mean).toBeCloseTo(1.9629, 3);
  });

  it('gives a Wilson interval for a proportion', () => {
    // 8/10: Wilson 95% = [0.4902, 0.9433]
    const p = proportionEstimate(8, 10);
    expect(p.low).toBeCloseTo(0.4902, 3);
    expect(p.high).toBeCloseTo(0.9433, 3);
    expect(proportionEstimate(10, 10).high).toBe(1);
  });

  it('compares paired cases with a sign test', () => {
    const candidate = new Map(Object.entries({ a: 1, b: 1, c: 1, d: 1, e: 1, f: 0.5 }));
    const baseline = new Map(Object.entries({ a: 0, b: 0, c: 0, d: 0, e: 0, f: 0.5, g: 1 }));
    const c = pairedComparison(candidate, baseline);
    expect(c).toMatchObject({ wins: 5, losses: 0, ties: 1 });
    expect(c.difference.mean).toBeCloseTo(5 / 6, 10);
    expect(c.pValue).toBeCloseTo(2 / 32, 10); // two-sided: 2 * 0.5^5
  });
});
