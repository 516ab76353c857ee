import type { MetricVerdict, Verdict } from './canaryVerdict';
import type { StepTally } from './analysisPolicy';
import type { RolloutStep } from './rolloutSteps';

/**
 * The state of a rollout, as the workflow keeps it, the `status` query returns it, `rollout status`
 * prints it and the Temporal UI shows it. Pure, so plain unit tests reach it.
 */

export type RolloutStage =
  'starting' | 'shadow' | 'canary' | 'awaiting-approval' | 'paused' | 'completed' | 'aborted' | 'superseded';

export type StepState = 'pending' | 'holding' | 'passed' | 'skipped' | 'aborted';

export interface StepProgress extends RolloutStep {
  state: StepState;
  /** When the step began, by the workflow's clock: its hold counts from here. */
  startedAt?: string;
  /** When the step's routing took effect (commit time of its write): its analysis window starts here. */
  effectiveAt?: string;
  /** Who approved a step that waits for approval. */
  approvedBy?: string;
  verdicts: Verdict[];
}

export interface AnalysisSummary {
  at: string;
  stepIndex: number;
  verdict: Verdict;
  canaryRequests: number;
  baselineRequests: number;
  /** Metrics that failed or lacked data, with their numbers. */
  notable: MetricVerdict[];
  error?: string;
}

export interface RolloutDecision {
  at: string;
  kind:
    | 'start'
    | 'advance'
    | 'pause'
    | 'resume'
    | 'approve'
    | 'promote'
    | 'promote-full'
    | 'abort'
    | 'complete'
    | 'supersede';
  by: string;
  reason?: string;
}

export interface RolloutStatus {
  workflowId: string;
  prompt: string;
  version: string;
  baselineVersion: string;
  stage: RolloutStage;
  stepIndex: number;
  weightBp: number;
  steps: StepProgress[];
  paused: boolean;
  /** The current step's verdicts, as the policy counts them. */
  tally: StepTally;
  /** The last few analyses, newest last. */
  analyses: AnalysisSummary[];
  decisions: RolloutDecision[];
  /** How many times this rollout continued as new (history kept small). */
  generation: number;
  /** Signals whose payload was not a payload at all: recorded (the last few), never acted on. */
  ignoredSignals?: Array<{ at: string; signal: string; payload: string }>;
}

const KEPT_IGNORED_SIGNALS = 5;

/** Record a signal the workflow could not use, so a person can see why nothing happened. */
export function recordIgnoredSignal(
  status: RolloutStatus,
  signal: string,
  payload: string,
  at = new Date().toISOString(),
): void {
  status.ignoredSignals = [...(status.ignoredSignals ?? []), { at, signal, payload }].slice(-KEPT_IGNORED_SIGNALS);
}

export const KEPT_ANALYSES = 5;

export function initialRolloutStatus(input: {
  workflowId: string;
  prompt: string;
  version: string;
  baselineVersion: string;
  steps: RolloutStep[];
}): RolloutStatus {
  return {
    workflowId: input.workflowId,
    prompt: input.prompt,
    version: input.version,
    baselineVersion: input.baselineVersion,
    stage: 'starting',
    stepIndex: 0,
    weightBp: 0,
    steps: input.steps.map((s) => ({ ...s, state: 'pending', verdicts: [] })),
    paused: false,
    tally: { failures: 0, inconclusiveInARow: 0 },
    analyses: [],
    decisions: [],
    generation: 0,
  };
}

/** Decisions kept in the workflow's state (every one is also in the history and the audit trail). */
const KEPT_DECISIONS = 20;

export function recordDecision(
  status: RolloutStatus,
  kind: RolloutDecision['kind'],
  by: string,
  reason?: string,
  at = new Date().toISOString(),
): void {
  status.decisions = [...status.decisions, { at, kind, by, reason }].slice(-KEPT_DECISIONS);
}

/** The stage a live rollout is in at its current step. */
export function liveStage(status: RolloutStatus): RolloutStage {
  const step = status.steps[status.stepIndex]!;
  if (status.paused) return 'paused';
  if (step.shadow) return 'shadow';
  return step.holdMs === null && !step.approvedBy ? 'awaiting-approval' : 'canary';
}

/** Every step not already passed or skipped ends as the finish says: passed (completed) or skipped (promoted in full). */
export function finishSteps(status: RolloutStatus, how: 'passed' | 'skipped'): void {
  for (const step of status.steps) if (step.state !== 'passed' && step.state !== 'skipped') step.state = how;
  status.stepIndex = status.steps.length - 1;
}

export const isFinished = (status: RolloutStatus) =>
  status.stage === 'completed' || status.stage === 'aborted' || status.stage === 'superseded';

/** Keep an analysis (bounded, so the workflow state stays small) and its verdict on its step. */
export function recordAnalysis(status: RolloutStatus, analysis: AnalysisSummary): void {
  status.analyses = [...status.analyses, analysis].slice(-KEPT_ANALYSES);
  status.steps[analysis.stepIndex]?.verdicts.push(analysis.verdict);
}

export const percent = (bp: number) => `${Number((bp / 100).toFixed(2))}%`;

export const stepLabel = (s: RolloutStep) => (s.shadow ? 'shadow' : percent(s.weightBp));

/** "shadow → 1% → 5% → 100%": a ramp in one line. */
export const describeSteps = (steps: readonly RolloutStep[]) => steps.map(stepLabel).join(' → ');

function holdLabel(s: RolloutStep): string {
  if (s.holdMs === null) return 'until approved';
  if (s.holdMs === 0) return '-';
  const minutes = s.holdMs / 60_000;
  return minutes >= 1 ? `${Number(minutes.toFixed(1))} min` : `${Math.round(s.holdMs / 1000)} s`;
}

function verdictCounts(verdicts: Verdict[]): string {
  if (!verdicts.length) return '-';
  const count = (v: Verdict) => verdicts.filter((x) => x === v).length;
  return `${count('pass')} pass, ${count('fail')} fail, ${count('inconclusive')} inconclusive`;
}

/** One line for the UI's summary and the CLI. */
export function rolloutSummaryLine(status: RolloutStatus): string {
  const where = status.stage === 'shadow' ? 'shadow' : percent(status.weightBp);
  return `${status.prompt}@${status.version} (baseline ${status.baselineVersion}): ${status.stage}${status.paused && status.stage !== 'paused' ? ' (paused)' : ''}, step ${Math.min(status.stepIndex + 1, status.steps.length)}/${status.steps.length} at ${where}`;
}

export function formatMetric(m: MetricVerdict): string {
  const n = (v: number | null) => (v === null ? '–' : Math.abs(v) < 1 ? v.toFixed(3) : v.toFixed(1));
  return `${m.metric} ${m.verdict}: canary ${n(m.canary)} vs ${n(m.baseline)}${m.pValue !== null ? ` (p=${m.pValue.toPrecision(2)})` : ''}`;
}

/** The short markdown the Temporal UI shows as current details: steps, verdicts so far, the last decision. */
export function rolloutDetails(status: RolloutStatus): string {
  const step = status.steps[status.stepIndex]!;
  const last = status.analyses.at(-1);
  const decision = status.decisions.at(-1);
  const rows = [
    ['#', 'weight', 'hold', 'state', 'verdicts'],
    ...status.steps.map((s, i) => [String(i + 1), stepLabel(s), holdLabel(s), s.state, verdictCounts(s.verdicts)]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const table = rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]!))
      .join('  ')
      .trimEnd(),
  );
  // A list and an aligned code block: Temporal UI renders markdown tables without borders or
  // padding, and emoji without a font to draw them.
  return [
    `**${status.prompt}@${status.version}: ${status.stage} at ${percent(status.weightBp)}**`,
    '',
    `- Stage: **${status.stage}**`,
    `- Weight: **${percent(status.weightBp)}** of traffic on ${status.version} (baseline ${status.baselineVersion || '-'})`,
    `- Step: ${status.stepIndex + 1} of ${status.steps.length} (${stepLabel(step)}, hold ${holdLabel(step)})`,
    `- Last analysis: ${last ? `**${last.verdict}** on ${last.canaryRequests} canary / ${last.baselineRequests} baseline requests${last.error ? `; ${last.error}` : ''}${last.notable.length ? `; ${last.notable.map(formatMetric).join('; ')}` : ''}` : 'none yet'}`,
    `- Last decision: ${decision ? `${decision.kind} by ${decision.by}${decision.reason ? `: ${decision.reason}` : ''}` : 'none yet'}`,
    '',
    '```',
    ...table,
    '```',
  ].join('\n');
}

/** The numbers behind a failed window, for the abort reason and the audit trail. */
export function failureReason(analysis: AnalysisSummary): string {
  const failed = analysis.notable.filter((m) => m.verdict === 'fail');
  return `analysis failed at step ${analysis.stepIndex + 1} (${analysis.canaryRequests} canary / ${analysis.baselineRequests} baseline requests): ${failed.map(formatMetric).join('; ')}`;
}

/** What Event History shows of a hold: where the rollout stands, without opening anything. */
export function holdSummary(status: RolloutStatus): string {
  const step = status.steps[status.stepIndex]!;
  return `${status.stage} at ${percent(status.weightBp)}, step ${status.stepIndex + 1} of ${status.steps.length} (${stepLabel(step)}): next analysis`;
}
