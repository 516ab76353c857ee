/** What a canary analysis concludes, per metric and per window: kept in the rollout's state. */
export type MetricName =
  | 'error_rate'
  | 'refusal_rate'
  | 'guardrail_block_rate'
  | 'negative_feedback_rate'
  | 'invalid_json_rate'
  | 'latency_p50'
  | 'latency_p99'
  | 'ttft'
  | 'cost_per_request'
  | 'judge_score'
  | 'output_length';

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

/** One analysis interval's result as the rollout workflow receives it. */
export interface AnalysisOutcome {
  verdict: Verdict;
  canaryRequests: number;
  baselineRequests: number;
  metrics: MetricVerdict[];
  /** Why the analysis could not run, or why its verdict is not what the metrics alone say (the workflow counts both as inconclusive). */
  error?: string;
}

/** An analysis that could not run: inconclusive, with why (enough of them pause the rollout for a human). */
export const failedAnalysis = (message: string): AnalysisOutcome => ({
  verdict: 'inconclusive',
  canaryRequests: 0,
  baselineRequests: 0,
  metrics: [],
  error: `analysis failed: ${message.slice(0, 300)}`,
});
