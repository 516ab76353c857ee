import type { VariantWindow } from './canaryJudge';
import { msprt, samplesNeeded, type ArmSummary } from './msprt';

export type AbMetric =
  | 'error_rate'
  | 'refusal_rate'
  | 'negative_feedback_rate'
  | 'latency_mean'
  | 'cost_per_request'
  | 'judge_score'
  | 'output_length';

export interface AbLine {
  metric: AbMetric;
  a: { n: number; mean: number | null };
  b: { n: number; mean: number | null };
  /** mean(B) − mean(A), with its always-valid confidence interval. */
  effect: number | null;
  interval: [number, number] | null;
  pValue: number | null;
  /** 'no difference': the interval already excludes any effect the size worth finding. */
  verdict: 'B better' | 'B worse' | 'B differs' | 'no difference' | 'too early';
  /** When too early: observations per arm still needed to call the effect seen so far, or to rule out one worth finding. */
  moreSamplesNeeded: number | null;
}

/** Which way is better for each metric: +1 higher is better, −1 lower is better. */
const BETTER: Record<AbMetric, 1 | -1 | 0> = {
  error_rate: -1,
  refusal_rate: -1,
  negative_feedback_rate: -1,
  latency_mean: -1,
  cost_per_request: -1,
  judge_score: 1,
  output_length: 0,
};

const rate = (hits: number, n: number): ArmSummary => {
  const p = n ? hits / n : 0;
  return { n, mean: p, variance: p * (1 - p) };
};

function sample(values: readonly number[]): ArmSummary {
  const n = values.length;
  const mean = n ? values.reduce((a, b) => a + b, 0) / n : 0;
  const variance = n > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { n, mean, variance };
}

function arms(metric: AbMetric, w: VariantWindow): ArmSummary {
  switch (metric) {
    case 'error_rate':
      return rate(w.errors, w.requests);
    case 'refusal_rate':
      return rate(w.refusals, w.requests);
    case 'negative_feedback_rate':
      return rate(w.negativeFeedback, w.feedback);
    case 'latency_mean':
      return sample(w.latenciesMs);
    case 'cost_per_request':
      return sample(w.costsUsd);
    case 'judge_score':
      return sample(w.judgeScores);
    case 'output_length':
      return sample(w.outputChars);
  }
}

const AB_METRICS = Object.keys(BETTER) as AbMetric[];

/**
 * The mSPRT's mixing scale: the size of effect worth finding. 10% of A's mean, or a tenth of A's
 * standard deviation where that is larger (rare events: 10% of a 1% error rate is too small to care).
 */
function effectWorthFinding(a: ArmSummary): number {
  return Math.max(Math.abs(a.mean) * 0.1, Math.sqrt(a.variance) * 0.1, 1e-9);
}

/** Sequential tests need a few observations before their variance means anything. */
const MIN_PER_ARM = 20;

/**
 * Per metric, B against A with the mSPRT: an effect, an always-valid interval and a verdict that
 * stays valid however often someone looks. "Too early" comes with the samples needed to see the
 * effect seen so far, or one the size worth finding.
 */
export function abReport(a: VariantWindow, b: VariantWindow, alpha = 0.05): AbLine[] {
  return AB_METRICS.map((metric): AbLine => {
    const x = arms(metric, a);
    const y = arms(metric, b);
    const base = { metric, a: { n: x.n, mean: x.n ? x.mean : null }, b: { n: y.n, mean: y.n ? y.mean : null } };
    if (x.n < MIN_PER_ARM || y.n < MIN_PER_ARM) {
      return {
        ...base,
        effect: null,
        interval: null,
        pValue: null,
        verdict: 'too early',
        moreSamplesNeeded: MIN_PER_ARM - Math.min(x.n, y.n),
      };
    }
    const tau = effectWorthFinding(x);
    const result = msprt(x, y, { tau, alpha });
    const direction = Math.sign(result.effect) * BETTER[metric];
    const equivalent = result.interval[0] > -tau && result.interval[1] < tau;
    const verdict: AbLine['verdict'] = result.significant
      ? direction > 0
        ? 'B better'
        : direction < 0
          ? 'B worse'
          : 'B differs'
      : equivalent
        ? 'no difference'
        : 'too early';
    // Too early: the samples until the interval either excludes zero (the effect seen so far is
    // real) or fits inside ±tau (no effect worth finding), whichever comes first.
    const size = Math.abs(result.effect);
    const toCall = samplesNeeded(x.variance, y.variance, size, { tau, alpha });
    const toRuleOut =
      size < tau ? samplesNeeded(x.variance, y.variance, tau - size, { tau, alpha }) : Number.POSITIVE_INFINITY;
    const needed = verdict !== 'too early' ? null : Math.max(1, Math.min(toCall, toRuleOut) - Math.min(x.n, y.n));
    return {
      ...base,
      effect: result.effect,
      interval: result.interval,
      pValue: result.pValue,
      verdict,
      moreSamplesNeeded: needed === Number.POSITIVE_INFINITY ? null : needed,
    };
  });
}
