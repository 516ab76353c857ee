import { mannWhitneyU } from '../../src/analysis/mannWhitney';
import { msprt, samplesNeeded } from '../../src/analysis/msprt';
import { twoProportionTest } from '../../src/analysis/twoProportions';
import { Random } from '../../src/simulator/random';

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

describe('mSPRT (always-valid A/B test)', () => {
  const options = { tau: 0.05, alpha: 0.05 };

  it('matches the closed form computed by hand', () => {
    const result = msprt({ n: 400, mean: 0.5, variance: 0.04 }, { n: 400, mean: 0.53, variance: 0.04 }, options);
    expect(result.effect).toBeCloseTo(0.03, 12);
    expect(result.pValue).toBeCloseTo(0.4574953809456707, 10);
    expect(result.interval[1] - result.effect).toBeCloseTo(0.04308523313423419, 10);
    expect(result.significant).toBe(false);
  });

  it('gives the sample size at which the observed effect would be significant', () => {
    const n = samplesNeeded(0.04, 0.04, 0.03, options);
    const at = (k: number) => msprt({ n: k, mean: 0.5, variance: 0.04 }, { n: k, mean: 0.53, variance: 0.04 }, options);
    expect(at(n).interval[0]).toBeGreaterThan(0);
    expect(at(n - 1).interval[0]).toBeLessThanOrEqual(0);
    expect(samplesNeeded(0.04, 0.04, 0, options)).toBe(Number.POSITIVE_INFINITY);
  });

  it('keeps false positives under alpha when an A/A test is looked at every day', () => {
    const random = new Random(7);
    const gaussian = () => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
    let falsePositives = 0;
    const experiments = 300;
    for (let e = 0; e < experiments; e++) {
      const sums = [0, 0];
      const squares = [0, 0];
      let n = 0;
      let rejected = false;
      for (let day = 0; day < 30 && !rejected; day++) {
        for (let i = 0; i < 50; i++, n++) {
          for (const arm of [0, 1]) {
            const x = 0.5 + 0.2 * gaussian();
            sums[arm]! += x;
            squares[arm]! += x * x;
          }
        }
        const arm = (k: number) => ({
          n,
          mean: sums[k]! / n,
          variance: (squares[k]! - (sums[k]! * sums[k]!) / n) / (n - 1),
        });
        rejected = msprt(arm(0), arm(1), options).significant;
      }
      if (rejected) falsePositives++;
    }
    expect(falsePositives / experiments).toBeLessThanOrEqual(0.05);
  });
});
