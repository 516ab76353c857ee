import { msprt, samplesNeeded } from '../../../src/analysis/msprt';
import { Random } from '../../../src/simulator/random';

// Expected values from scipy 1.x: mannwhitneyu(..., method='asymptotic', use_continuity=True).

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
