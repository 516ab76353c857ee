import { mannWhitneyU } from '../../../src/analysis/mannWhitney';

// Expected values from scipy 1.x: mannwhitneyu(..., method='asymptotic', use_continuity=True).

describe('Mann-Whitney U', () => {
  it('matches scipy on separated samples', () => {
    const result = mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
    expect(result.u).toBe(0);
    expect(result.pValue).toBeCloseTo(0.012185780355344813, 10);
  });

  it('matches scipy with ties, one-sided both ways', () => {
    const x = [1, 2, 2, 3, 4, 5];
    const y = [2, 3, 6, 7, 8, 9, 10];
    expect(mannWhitneyU(x, y, 'less')).toMatchObject({ u: 6.5 });
    expect(mannWhitneyU(x, y, 'less').pValue).toBeCloseTo(0.022011097520835028, 10);
    expect(mannWhitneyU(x, y, 'greater').pValue).toBeCloseTo(0.9845255051049955, 10);
  });

  it('says nothing when every value is the same, and refuses empty samples', () => {
    expect(mannWhitneyU([3, 3], [3, 3, 3]).pValue).toBe(1);
    expect(() => mannWhitneyU([], [1])).toThrow(/at least one value/);
  });
});
