import { twoProportionTest } from '../../../src/analysis/twoProportions';

// Expected values from scipy 1.x: mannwhitneyu(..., method='asymptotic', use_continuity=True).

describe('two-proportion test', () => {
  it('matches the pooled z-test by hand', () => {
    const result = twoProportionTest(45, 500, 30, 500);
    expect(result.z).toBeCloseTo(1.8009006755629924, 10);
    expect(result.pValue).toBeCloseTo(0.03585926825421706, 10);
  });

  it("tests against a margin with each rate's own variance (Wald), by hand", () => {
    // 5 errors in 120 canary requests against 1% of 11,880: not evidence of +1 point.
    const result = twoProportionTest(5, 120, 119, 11_880, 0.01);
    expect(result.z).toBeCloseTo(1.185354994503006, 10);
    expect(result.pValue).toBeCloseTo(0.11793855906331283, 10);
  });

  it('is no evidence at all when both rates are zero', () => {
    expect(twoProportionTest(0, 100, 0, 100)).toMatchObject({ z: 0, pValue: 1 });
    expect(twoProportionTest(0, 100, 0, 100, 0.05).pValue).toBeGreaterThan(0.99);
  });

  it('against a margin, rates of exactly 0 and 1 still have a variance (Agresti–Caffo), so all-bad vs all-good is evidence', () => {
    // Every one of 140 canary answers voted down, none of 80 baseline ones: this once passed (se = 0).
    const result = twoProportionTest(140, 140, 0, 80, 0.05);
    expect(result.pValue).toBeLessThan(1e-6);
    // By hand: (141/142)(1/142)/140 + (1/82)(81/82)/80.
    const se = Math.sqrt(((141 / 142) * (1 / 142)) / 140 + ((1 / 82) * (81 / 82)) / 80);
    expect(result.z).toBeCloseTo((1 - 0 - 0.05) / se, 10);
  });
});
