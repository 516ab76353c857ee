/**
 * The state of an eval-gated promotion, as the `status` query returns it and `rollout status`
 * prints it. Pure, so the workflow can keep it and plain unit tests can reach it.
 */

import type { GateResult } from './gateResult';
import { percent, type RolloutStatus } from './rolloutStatus';

export type PromotionStage =
  | 'evaluating-baseline'
  | 'evaluating'
  | 'rejected'
  | 'cancelled'
  | 'rolling-out'
  | 'promoted'
  | 'rolled-back'
  | 'superseded';

export interface PromotionStatus {
  workflowId: string;
  prompt: string;
  version: string;
  baselineVersion?: string;
  datasetHash?: string;
  /** Started with `--skip-eval`: no gate ran (audited). */
  skipEval?: boolean;
  stage: PromotionStage;
  passRate?: number;
  gate?: GateResult;
  candidateRunId?: string;
  baselineRunId?: string;
  decidedBy?: string;
  reason?: string;
  /** The canary's final state, once it has ended. */
  rollout?: RolloutStatus;
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
  const floors =
    status.gate?.checks
      .filter((c) => c.kind === 'floor')
      .map((c) => `${c.metric} ≥ ${c.limit}`)
      .join(', ') ?? '';
  const gate = status.skipEval
    ? 'skipped (emergency fix, audited)'
    : status.gate
      ? status.gate.passed
        ? 'passed'
        : `failed: ${failedMetrics(status).join(', ')}`
      : 'waiting for the eval';
  const canary = status.rollout
    ? `${status.rollout.stage} at ${percent(status.rollout.weightBp)}`
    : reached('rolling-out')
      ? `live: \`flightdeck rollout status ${status.prompt}\``
      : '-';
  const baseline = status.skipEval
    ? 'skipped'
    : status.baselineVersion
      ? `${status.baselineVersion} (${reached('evaluating') ? 'done' : 'running'})`
      : 'none';
  const production =
    status.stage === 'promoted'
      ? `now ${status.version}`
      : status.stage === 'rolled-back'
        ? `stays ${status.baselineVersion}`
        : '-';
  // A list, not a table: Temporal UI renders markdown tables without borders or padding.
  return [
    `**${status.prompt}@${status.version}: ${status.stage}**`,
    '',
    `- Eval baseline: ${baseline}`,
    `- Eval candidate: ${status.skipEval ? 'skipped' : `${status.version}: pass rate ${pct(status.passRate)}${floors ? ` (floors ${floors})` : ''}`}`,
    `- Gate: **${gate}**`,
    `- Canary: **${canary}**`,
    `- Production: ${production}`,
  ].join('\n');
}
