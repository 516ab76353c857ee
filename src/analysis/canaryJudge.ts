import { mannWhitneyU } from './mannWhitney';
import { twoProportionTest } from './twoProportions';

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
}

export type MetricName = 'error_rate' | 'refusal_rate' | 'guardrail_block_rate' | 'negative_feedback_rate' | 'latency_p50' | 'latency_p99' | 'ttft' | 'cost_per_request' | 'judge_score';

export interface MetricRule {
  metric: MetricName;
  /** Rates: absolute points the canary may be worse by. Others: a fraction (0.1 = 10% worse). */
  tolerance: number;
  /** Fewer observations than this in either variant: inconclusive, never a pass. */
  minSamples: number;
  /** The canary alone past this (a rate, or ms/USD) fails at once, whatever the baseline did. */
  absoluteMax?: number;
}

export const DEFAULT_RULES: MetricRule[] = [
  { metric: 'error_rate', tolerance: 0.01, minSamples: 50, absoluteMax: 0.05 },
  { metric: 'refusal_rate', tolerance: 0.02, minSamples: 50 },
  { metric: 'guardrail_block_rate', tolerance: 0.01, minSamples: 50 },
  { metric: 'negative_feedback_rate', tolerance: 0.05, minSamples: 20 },
  { metric: 'latency_p50', tolerance: 0.2, minSamples: 50 },
  { metric: 'latency_p99', tolerance: 0.3, minSamples: 200 },
  { metric: 'ttft', tolerance: 0.2, minSamples: 50 },
  { metric: 'cost_per_request', tolerance: 0.1, minSamples: 50 },
  { metric: 'judge_score', tolerance: 0.05, minSamples: 30 },
];

export type Verdict = 'pass' | 'fail' | 'inconclusive';

export interface MetricVerdict {
  metric: MetricName;
  verdict: Verdict;
  canary: number | null;
  baseline: number | null;
  pValue: number | null;
  reason: string;
}

export interface WindowVerdict {
  verdict: Verdict;
  metrics: MetricVerdict[];
}

const RATES: Partial<Record<MetricName, (w: VariantWindow) => [number, number]>> = {
  error_rate: (w) => [w.errors, w.requests],
  refusal_rate: (w) => [w.refusals, w.requests],
  guardrail_block_rate: (w) => [w.guardrailBlocks, w.requests],
  negative_feedback_rate: (w) => [w.negativeFeedback, w.feedback],
};

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function slowestTenth(values: readonly number[]): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.slice(Math.floor(sorted.length * 0.9));
}

/** The samples a distribution metric compares, and whether higher is worse. */
function distribution(metric: MetricName, w: VariantWindow): { values: number[]; higherIsWorse: boolean; summary: number } | undefined {
  switch (metric) {
    case 'latency_p50':
      return { values: w.latenciesMs, higherIsWorse: true, summary: w.latenciesMs.length ? quantile(w.latenciesMs, 0.5) : NaN };
    case 'latency_p99':
      // The tail is compared on each variant's slowest tenth, so a fat tail shows even when the median does not move.
      return { values: slowestTenth(w.latenciesMs), higherIsWorse: true, summary: w.latenciesMs.length ? quantile(w.latenciesMs, 0.99) : NaN };
    case 'ttft':
      return { values: w.ttftsMs, higherIsWorse: true, summary: w.ttftsMs.length ? quantile(w.ttftsMs, 0.5) : NaN };
    case 'cost_per_request':
      return { values: w.costsUsd, higherIsWorse: true, summary: w.costsUsd.length ? w.costsUsd.reduce((a, b) => a + b, 0) / w.costsUsd.length : NaN };
    case 'judge_score':
      return { values: w.judgeScores, higherIsWorse: false, summary: w.judgeScores.length ? w.judgeScores.reduce((a, b) => a + b, 0) / w.judgeScores.length : NaN };
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
    if (rule.absoluteMax !== undefined && canaryRate !== null && cn >= Math.min(rule.minSamples, 20) && canaryRate > rule.absoluteMax) {
      return { ...base, verdict: 'fail', pValue: null, reason: `canary ${rule.metric} ${canaryRate.toFixed(3)} is over the absolute limit ${rule.absoluteMax}` };
    }
    if (cn < rule.minSamples || bn < rule.minSamples) return { ...base, verdict: 'inconclusive', pValue: null, reason: `too few samples (${cn} canary, ${bn} baseline; need ${rule.minSamples})` };
    const test = twoProportionTest(cx, cn, bx, bn, rule.tolerance);
    const worse = test.pValue < alpha;
    return { ...base, verdict: worse ? 'fail' : 'pass', pValue: test.pValue, reason: worse ? `worse than baseline by more than ${rule.tolerance}` : 'within tolerance' };
  }
  const c = distribution(rule.metric, canary)!;
  const b = distribution(rule.metric, baseline)!;
  const base = { metric: rule.metric, canary: Number.isNaN(c.summary) ? null : c.summary, baseline: Number.isNaN(b.summary) ? null : b.summary };
  if (rule.absoluteMax !== undefined && base.canary !== null && c.values.length >= Math.min(rule.minSamples, 20) && c.higherIsWorse && base.canary > rule.absoluteMax) {
    return { ...base, verdict: 'fail', pValue: null, reason: `canary ${rule.metric} ${base.canary} is over the absolute limit ${rule.absoluteMax}` };
  }
  const needed = rule.metric === 'latency_p99' ? rule.minSamples / 10 : rule.minSamples;
  if (c.values.length < needed || b.values.length < needed) {
    return { ...base, verdict: 'inconclusive', pValue: null, reason: `too few samples (${c.values.length} canary, ${b.values.length} baseline; need ${needed})` };
  }
  // The tolerance is applied by scaling the canary toward "better" first: only a difference beyond it can test as worse.
  const scaled = c.values.map((v) => (c.higherIsWorse ? v / (1 + rule.tolerance) : v / (1 - rule.tolerance)));
  const test = mannWhitneyU(scaled, b.values, c.higherIsWorse ? 'greater' : 'less');
  const worse = test.pValue < alpha;
  return { ...base, verdict: worse ? 'fail' : 'pass', pValue: test.pValue, reason: worse ? `worse than baseline by more than ${rule.tolerance * 100}%` : 'within tolerance' };
}

/**
 * Canary against baseline in the same window: any failing metric fails the window; otherwise any
 * metric without enough data makes it inconclusive (never a pass); otherwise it passes.
 */
export function judgeWindow(canary: VariantWindow, baseline: VariantWindow, rules: readonly MetricRule[] = DEFAULT_RULES, alpha = 0.01): WindowVerdict {
  const metrics = rules.map((rule) => judgeMetric(rule, canary, baseline, alpha));
  const verdict: Verdict = metrics.some((m) => m.verdict === 'fail') ? 'fail' : metrics.some((m) => m.verdict === 'inconclusive') ? 'inconclusive' : 'pass';
  return { verdict, metrics };
}
