import { normalUpperTail } from './normal';

export interface TwoProportionResult {
  rateA: number;
  rateB: number;
  z: number;
  /** One-sided: the chance of seeing A this far above B if the rates were equal. */
  pValue: number;
}

/**
 * Two-proportion z-test of "A's rate is higher than B's by more than `margin`" (e.g. canary errors
 * vs baseline, with the tolerance as the margin). Without a margin the null is "equal rates" and
 * the variance is pooled; with one the rates differ under the null, so each keeps its own variance
 * (Wald). Pooling there lets the big baseline's low rate set the variance and calls a small canary
 * with a few unlucky errors worse (measured: 1% false aborts instead of ~0.1% in `bench:canary`).
 */
export function twoProportionTest(
  successesA: number,
  nA: number,
  successesB: number,
  nB: number,
  margin = 0,
): TwoProportionResult {
  if (nA <= 0 || nB <= 0) throw new Error('a two-proportion test needs observations in both groups');
  const rateA = successesA / nA;
  const rateB = successesB / nB;
  const pooled = (successesA + successesB) / (nA + nB);
  const se =
    margin === 0
      ? Math.sqrt(pooled * (1 - pooled) * (1 / nA + 1 / nB))
      : Math.sqrt(waldVariance(successesA, nA) + waldVariance(successesB, nB));
  if (se === 0) return { rateA, rateB, z: 0, pValue: 1 };
  const z = (rateA - rateB - margin) / se;
  return { rateA, rateB, z, pValue: normalUpperTail(z) };
}

/**
 * A group's variance term for the Wald test. An observed rate of exactly 0 or 1 has no variance of
 * its own (every canary answer voted down against none of the baseline's gave se = 0, and so a
 * pass): such a group uses the Agresti–Caffo rate (x + 1) / (n + 2) instead.
 */
function waldVariance(successes: number, n: number): number {
  const rate = successes === 0 || successes === n ? (successes + 1) / (n + 2) : successes / n;
  return (rate * (1 - rate)) / n;
}
