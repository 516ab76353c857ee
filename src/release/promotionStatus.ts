/**
 * The state of an eval-gated promotion, as the `status` query returns it and `rollout status`
 * prints it. Pure, so the workflow can keep it and plain unit tests can reach it.
 */

export type PromotionStage =
  | 'evaluating-baseline'
  | 'evaluating'
  | 'rejected'
  | 'awaiting-approval'
  | 'promoting'
  | 'promoted'
  | 'cancelled';

export interface GateLine {
  metric: string;
  kind: 'floor' | 'regression';
  limit: number;
  actual: number;
  passed: boolean;
}

export interface PromotionStatus {
  workflowId: string;
  prompt: string;
  version: string;
  baselineVersion?: string;
  datasetHash: string;
  stage: PromotionStage;
  passRate?: number;
  gate?: { passed: boolean; checks: GateLine[] };
  candidateRunId?: string;
  baselineRunId?: string;
  decidedBy?: string;
  reason?: string;
  /** Every stage change with its time, oldest first. */
  history: Array<{ stage: PromotionStage; at: string; note?: string }>;
}

/** Metrics that failed a floor or a regression check, each named once. */
export function failedMetrics(status: PromotionStatus): string[] {
  return [...new Set((status.gate?.checks ?? []).filter((c) => !c.passed).map((c) => c.metric))];
}

const pct = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '–' : `${(v * 100).toFixed(1)}%`);

/** The short markdown table the Temporal UI shows as the workflow's current details. */
export function promotionDetails(status: PromotionStatus): string {
  const reached = (stage: PromotionStage) => status.history.some((h) => h.stage === stage);
  const floors = status.gate?.checks.filter((c) => c.kind === 'floor').map((c) => `${c.metric} ≥ ${c.limit}`).join(', ') ?? '';
  const verdict = status.gate ? (status.gate.passed ? '✅ passed' : `❌ failed: ${failedMetrics(status).join(', ')}`) : '⏳';
  const rows: Array<[string, string]> = [
    ['eval baseline', status.baselineVersion ? `${status.baselineVersion}${reached('evaluating') ? ' ✅' : ' ⏳'}` : 'none'],
    ['eval candidate', `${status.version}: pass rate ${pct(status.passRate)}${floors ? ` (floors ${floors})` : ''}`],
    ['gate', verdict],
    ['staging label', reached('awaiting-approval') ? `✅ ${status.version}` : '–'],
    ['approval', status.stage === 'awaiting-approval' ? '⏳ waiting for `approve`' : status.decidedBy ? `${status.stage} by ${status.decidedBy}` : '–'],
    ['production', status.stage === 'promoted' ? `✅ ${status.version}` : '–'],
  ];
  return [`**${status.prompt}@${status.version}: ${status.stage}**`, '', '| stage | state |', '|---|---|', ...rows.map(([a, b]) => `| ${a} | ${b} |`)].join('\n');
}
