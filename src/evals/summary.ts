import {
  meanEstimate,
  pairedComparison,
  proportionEstimate,
  type Estimate,
  type PairedComparison,
} from '../analysis/stats';
import { DEFAULT_GRADED_THRESHOLD } from './assertionTypes';
import type { CaseResult } from './caseEvaluator';

export interface JudgeAgreement {
  samples: number;
  /** Share of judged outputs whose samples all agree on pass/fail at the assertion's threshold. */
  agreement: number;
  /** Mean (max - min) of a judged output's sample scores. */
  meanSpread: number;
}

export interface EvalSummary {
  cases: number;
  passed: number;
  /** pass_rate, score, latency_ms, cost_usd, and one per assertion metric. */
  metrics: Record<string, Estimate>;
  totalCostUsd: number;
  errors: number;
  judgeAgreement?: JudgeAgreement;
  failures: Array<{ caseId: string; reasons: string[] }>;
}

/** Metrics where higher is better and which floors and regressions apply to. */
export const PASS_RATE = 'pass_rate';
export const SCORE = 'score';

/** Per case, the value of each gated metric: pass_rate (1/0), score, and each assertion metric. */
export function caseMetricValues(result: CaseResult): Record<string, number> {
  const values: Record<string, number> = { [PASS_RATE]: result.passed ? 1 : 0, [SCORE]: result.score };
  const byMetric = new Map<string, number[]>();
  for (const a of result.assertions) byMetric.set(a.metric, [...(byMetric.get(a.metric) ?? []), a.score]);
  for (const [metric, scores] of byMetric) values[metric] = scores.reduce((s, v) => s + v, 0) / scores.length;
  return values;
}

/** Scores live in [0, 1]; a t interval near the edge can spill over, which would read as nonsense. */
function clampToUnit(e: Estimate): Estimate {
  return { ...e, low: Math.max(0, e.low), high: Math.min(1, e.high) };
}

function judgeAgreement(results: CaseResult[]): JudgeAgreement | undefined {
  const judged = results.flatMap((r) => r.assertions.filter((a) => a.samples && a.samples.length > 1));
  if (!judged.length) return undefined;
  const agreeing = judged.filter(
    (a) => new Set(a.samples!.map((s) => s >= DEFAULT_GRADED_THRESHOLD)).size === 1,
  ).length;
  const spreads = judged.map((a) => Math.max(...a.samples!) - Math.min(...a.samples!));
  return {
    samples: judged[0]!.samples!.length,
    agreement: agreeing / judged.length,
    meanSpread: spreads.reduce((s, v) => s + v, 0) / spreads.length,
  };
}

export function summarize(results: CaseResult[]): EvalSummary {
  const perCase = results.map(caseMetricValues);
  const names = new Set(perCase.flatMap((v) => Object.keys(v)));
  const metrics: Record<string, Estimate> = {};
  for (const name of names) {
    const values = perCase.map((v) => v[name]).filter((v): v is number => v !== undefined);
    metrics[name] =
      name === PASS_RATE
        ? proportionEstimate(values.filter((v) => v === 1).length, values.length)
        : clampToUnit(meanEstimate(values));
  }
  const answered = results.filter((r) => !r.error);
  metrics.latency_ms = meanEstimate(answered.map((r) => r.latencyMs));
  metrics.cost_usd = meanEstimate(answered.map((r) => r.costUsd));
  return {
    cases: results.length,
    passed: results.filter((r) => r.passed).length,
    metrics,
    totalCostUsd: results.reduce((s, r) => s + r.costUsd, 0),
    errors: results.length - answered.length,
    judgeAgreement: judgeAgreement(results),
    failures: results
      .filter((r) => !r.passed)
      .map((r) => ({
        caseId: r.caseId,
        reasons: r.assertions.filter((a) => !a.pass).map((a) => `${a.type}: ${a.reason}`),
      })),
  };
}

/** Paired per-case comparison with the baseline on every metric both runs have. */
export function compareRuns(candidate: CaseResult[], baseline: CaseResult[]): Record<string, PairedComparison> {
  const values = (results: CaseResult[]) => {
    const byMetric = new Map<string, Map<string, number>>();
    for (const r of results) {
      for (const [metric, value] of Object.entries(caseMetricValues(r))) {
        if (!byMetric.has(metric)) byMetric.set(metric, new Map());
        byMetric.get(metric)!.set(r.caseId, value);
      }
    }
    return byMetric;
  };
  const c = values(candidate);
  const b = values(baseline);
  const out: Record<string, PairedComparison> = {};
  for (const [metric, scores] of c) if (b.has(metric)) out[metric] = pairedComparison(scores, b.get(metric)!);
  return out;
}
