import { mannWhitneyU } from './mannWhitney';
import { twoProportionTest } from './twoProportions';
import type { MetricName, MetricVerdict, Verdict, WindowVerdict } from '../model/canaryVerdict';

/** What one variant did in one analysis window, from the request log and feedback. */
export interface VariantWindow {
  requests: number;
  errors: number;
  refusals: number;
  guardrailBlocks: number;
  negativeFeedback: number;
  feedback: number;
  latenciesMs: number[];
  ttftsMs: number[];
  costsUsd: number[];
  judgeScores: number[];
  /** Length of each served answer, in characters. */
  outputChars: number[];
  /** Answers that failed the prompt's JSON schema. */
  invalidJson: number;
}

/** A window with nothing in it yet. */
export const emptyWindow = (): VariantWindow => ({
  requests: 0,
  errors: 0,
  refusals: 0,
  guardrailBlocks: 0,
  negativeFeedback: 0,
  feedback: 0,
  latenciesMs: [],
  ttftsMs: [],
  costsUsd: [],
  judgeScores: [],
  outputChars: [],
  invalidJson: 0,
});

export interface MetricRule {
  metric: MetricName;
  /** Rates: absolute points the canary may be worse by. Others: a fraction (0.1 = 10% worse). */
  tolerance: number;
  /** Fewer observations than this in either variant: inconclusive, never a pass. */
  minSamples: number;
  /** The canary alone past this (a rate, or ms/USD) fails at once, whatever the baseline did. */
  absoluteMax?: number;
  /**
   * A metric many windows have no data for (feedback, judge samples, TTFT of streams, the tail):
   * it still fails when its data says worse, but missing data does not hold the window (Kayenta's
   * non-critical metrics).
   */
  optional?: boolean;
}

export const DEFAULT_RULES: MetricRule[] = [
  { metric: 'error_rate', tolerance: 0.01, minSamples: 50, absoluteMax: 0.05 },
  { metric: 'refusal_rate', tolerance: 0.02, minSamples: 50 },
  { metric: 'guardrail_block_rate', tolerance: 0.01, minSamples: 50 },
  { metric: 'negative_feedback_rate', tolerance: 0.05, minSamples: 20, optional: true },
  { metric: 'latency_p50', tolerance: 0.2, minSamples: 50 },
  { metric: 'latency_p99', tolerance: 0.3, minSamples: 200, optional: true },
  { metric: 'ttft', tolerance: 0.2, minSamples: 50, optional: true },
  { metric: 'cost_per_request', tolerance: 0.1, minSamples: 50 },
  { metric: 'judge_score', tolerance: 0.05, minSamples: 30, optional: true },
];

/**
 * A shadow step compares the shadow's answers with the served answers they mirrored: quality
 * (judge, refusals, JSON validity, length) and what it would cost (latency, price). Nothing was
 * served, so there are no feedback or block rates.
 */
export const SHADOW_RULES: MetricRule[] = [
  { metric: 'error_rate', tolerance: 0.01, minSamples: 30, absoluteMax: 0.05 },
  { metric: 'refusal_rate', tolerance: 0.02, minSamples: 30 },
  { metric: 'invalid_json_rate', tolerance: 0.01, minSamples: 30 },
  { metric: 'output_length', tolerance: 0.3, minSamples: 30 },
  { metric: 'latency_p50', tolerance: 0.2, minSamples: 30 },
  { metric: 'cost_per_request', tolerance: 0.1, minSamples: 30 },
  { metric: 'judge_score', tolerance: 0.05, minSamples: 20, optional: true },
];

const RATES: Partial<Record<MetricName, (w: VariantWindow) => [number, number]>> = {
  error_rate: (w) => [w.errors, w.requests],
  refusal_rate: (w) => [w.refusals, w.requests],
  guardrail_block_rate: (w) => [w.guardrailBlocks, w.requests],
  negative_feedback_rate: (w) => [w.negativeFeedback, w.feedback],
  invalid_json_rate: (w) => [w.invalidJson, w.requests],
};

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function slowestTenth(values: readonly number[]): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.slice(Math.floor(sorted.length * 0.9));
}

const mean = (values: readonly number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN);

/** The samples a distribution metric compares, and which way is worse ('either' for length: too short and too long both are). */
function distribution(
  metric: MetricName,
  w: VariantWindow,
): { values: number[]; worse: 'higher' | 'lower' | 'either'; summary: number } | undefined {
  switch (metric) {
    case 'latency_p50':
      return {
        values: w.latenciesMs,
        worse: 'higher',
        summary: w.latenciesMs.length ? quantile(w.latenciesMs, 0.5) : NaN,
      };
    case 'latency_p99':
      // The tail is compared on each variant's slowest tenth, so a fat tail shows even when the median does not move.
      return {
        values: slowestTenth(w.latenciesMs),
        worse: 'higher',
        summary: w.latenciesMs.length ? quantile(w.latenciesMs, 0.99) : NaN,
      };
    case 'ttft':
      return { values: w.ttftsMs, worse: 'higher', summary: w.ttftsMs.length ? quantile(w.ttftsMs, 0.5) : NaN };
    case 'cost_per_request':
      return { values: w.costsUsd, worse: 'higher', summary: mean(w.costsUsd) };
    case 'judge_score':
      return { values: w.judgeScores, worse: 'lower', summary: mean(w.judgeScores) };
    case 'output_length':
      return {
        values: w.outputChars,
        worse: 'either',
        summary: w.outputChars.length ? quantile(w.outputChars, 0.5) : NaN,
      };
    default:
      return undefined;
  }
}

function judgeMetric(rule: MetricRule, canary: VariantWindow, baseline: VariantWindow, alpha: number): MetricVerdict {
  const rate = RATES[rule.metric];
  if (rate) {
    const [cx, cn] = rate(canary);
    const [bx, bn] = rate(baseline);
    const canaryRate = cn ? cx / cn : null;
    const base = { metric: rule.metric, canary: canaryRate, baseline: bn ? bx / bn : null };
    if (
      rule.absoluteMax !== undefined &&
      canaryRate !== null &&
      cn >= Math.min(rule.minSamples, 20) &&
      canaryRate > rule.absoluteMax
    ) {
      return {
        ...base,
        verdict: 'fail',
        pValue: null,
        reason: `canary ${rule.metric} ${canaryRate.toFixed(3)} is over the absolute limit ${rule.absoluteMax}`,
      };
    }
    if (cn < rule.minSamples || bn < rule.minSamples)
      return {
        ...base,
        verdict: 'inconclusive',
        pValue: null,
        reason: `too few samples (${cn} canary, ${bn} baseline; need ${rule.minSamples})`,
      };
    const test = twoProportionTest(cx, cn, bx, bn, rule.tolerance);
    const worse = test.pValue < alpha;
    return {
      ...base,
      verdict: worse ? 'fail' : 'pass',
      pValue: test.pValue,
      reason: worse ? `worse than baseline by more than ${rule.tolerance}` : 'within tolerance',
    };
  }
  const c = distribution(rule.metric, canary)!;
  const b = distribution(rule.metric, baseline)!;
  const base = {
    metric: rule.metric,
    canary: Number.isNaN(c.summary) ? null : c.summary,
    baseline: Number.isNaN(b.summary) ? null : b.summary,
  };
  if (
    rule.absoluteMax !== undefined &&
    base.canary !== null &&
    c.values.length >= Math.min(rule.minSamples, 20) &&
    c.worse === 'higher' &&
    base.canary > rule.absoluteMax
  ) {
    return {
      ...base,
      verdict: 'fail',
      pValue: null,
      reason: `canary ${rule.metric} ${base.canary} is over the absolute limit ${rule.absoluteMax}`,
    };
  }
  const needed = rule.metric === 'latency_p99' ? rule.minSamples / 10 : rule.minSamples;
  if (c.values.length < needed || b.values.length < needed) {
    return {
      ...base,
      verdict: 'inconclusive',
      pValue: null,
      reason: `too few samples (${c.values.length} canary, ${b.values.length} baseline; need ${needed})`,
    };
  }
  const directions: Array<'higher' | 'lower'> = c.worse === 'either' ? ['higher', 'lower'] : [c.worse];
  // The tolerance is applied by scaling the canary toward "better" first: only a difference beyond
  // it can test as worse. Two directions split alpha between them.
  const pValue = Math.min(
    ...directions.map((worse) => {
      const scaled = c.values.map((v) => (worse === 'higher' ? v / (1 + rule.tolerance) : v / (1 - rule.tolerance)));
      return mannWhitneyU(scaled, b.values, worse === 'higher' ? 'greater' : 'less').pValue * directions.length;
    }),
  );
  const worse = pValue < alpha;
  return {
    ...base,
    verdict: worse ? 'fail' : 'pass',
    pValue: Math.min(1, pValue),
    reason: worse ? `worse than baseline by more than ${rule.tolerance * 100}%` : 'within tolerance',
  };
}

/**
 * Canary against baseline in the same window: any failing metric fails the window; otherwise any
 * required metric without enough data makes it inconclusive (never a pass); otherwise it passes.
 */
export function judgeWindow(
  canary: VariantWindow,
  baseline: VariantWindow,
  rules: readonly MetricRule[] = DEFAULT_RULES,
  alpha = 0.01,
): WindowVerdict {
  const metrics = rules.map((rule) => judgeMetric(rule, canary, baseline, alpha));
  const holding = metrics.some((m, i) => m.verdict === 'inconclusive' && !rules[i]!.optional);
  const verdict: Verdict = metrics.some((m) => m.verdict === 'fail') ? 'fail' : holding ? 'inconclusive' : 'pass';
  return { verdict, metrics };
}
