/**
 * The mixture sequential probability ratio test (mSPRT; Johari, Pekelis and Walsh) for the
 * difference of two means, with a normal mixing distribution N(0, tau²) over the true difference.
 * Its p-value and confidence interval stay valid however often people look (every day, every
 * hour), unlike a fixed-horizon t-test, which "peeking" turns into a false-positive machine.
 */

export interface ArmSummary {
  n: number;
  mean: number;
  /** Sample variance of one observation. */
  variance: number;
}

export interface SequentialResult {
  /** mean(B) − mean(A). */
  effect: number;
  /** Always-valid confidence interval for the effect at level 1 − alpha. */
  interval: [number, number];
  /** Always-valid p-value at this look (take the running minimum across looks). */
  pValue: number;
  significant: boolean;
}

/** The variance of the effect estimate for the given arms. */
function effectVariance(a: ArmSummary, b: ArmSummary): number {
  return a.variance / a.n + b.variance / b.n;
}

/** Half-width of the always-valid interval for an effect estimate of variance v. */
export function sequentialHalfWidth(v: number, tau: number, alpha: number): number {
  const t2 = tau * tau;
  return Math.sqrt(((v * (v + t2)) / t2) * (2 * Math.log(1 / alpha) + Math.log((v + t2) / v)));
}

export function msprt(a: ArmSummary, b: ArmSummary, options: { tau: number; alpha: number }): SequentialResult {
  if (a.n < 2 || b.n < 2) throw new Error('the sequential test needs at least two observations per arm');
  const effect = b.mean - a.mean;
  const v = effectVariance(a, b);
  if (v === 0) return { effect, interval: [effect, effect], pValue: effect === 0 ? 1 : 0, significant: effect !== 0 };
  const t2 = options.tau * options.tau;
  const logLikelihoodRatio = 0.5 * Math.log(v / (v + t2)) + (t2 * effect * effect) / (2 * v * (v + t2));
  const pValue = Math.min(1, Math.exp(-logLikelihoodRatio));
  const half = sequentialHalfWidth(v, options.tau, options.alpha);
  return { effect, interval: [effect - half, effect + half], pValue, significant: pValue <= options.alpha };
}

/**
 * Observations per arm after which an effect of `effect` would be significant, given the
 * per-observation variances seen so far (the "come back later" number when it is too early).
 */
export function samplesNeeded(
  varianceA: number,
  varianceB: number,
  effect: number,
  options: { tau: number; alpha: number },
): number {
  if (effect === 0) return Number.POSITIVE_INFINITY;
  let high = 2;
  while (sequentialHalfWidth((varianceA + varianceB) / high, options.tau, options.alpha) >= Math.abs(effect)) {
    high *= 2;
    if (high > 1e12) return Number.POSITIVE_INFINITY;
  }
  let low = high / 2;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (sequentialHalfWidth((varianceA + varianceB) / mid, options.tau, options.alpha) < Math.abs(effect)) high = mid;
    else low = mid;
  }
  return high;
}
