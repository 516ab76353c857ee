import type { Attribution } from './attribution';
import { waitBeforeAnalysis } from './rolloutHold';
import type { RolloutIntents } from './rolloutIntents';
import { liveStage, type RolloutStatus } from './rolloutStatus';
import { FULL_WEIGHT_BP } from './weights';

/** The one thing a live rollout does next; the workflow carries it out and asks again. */
export type RolloutAction =
  | { kind: 'roll-back'; stage: 'aborted' | 'superseded'; actor: string; reason: string }
  | { kind: 'finish'; how: 'finish-now' | 'complete'; actor: string; reason: string }
  | { kind: 'enter-step' }
  | { kind: 'skip-step'; by: Attribution }
  | { kind: 'wait-while-paused' }
  /** Wait for the next analysis (or for an approval, a pause, an intent), then analyse. */
  | { kind: 'hold-then-analyse'; waitMs: number; awaitingApproval: boolean };

/**
 * The rollout's runbook as one ordered list (Argo Rollouts' `rolloutCanary` keeps the same order):
 * stopping beats everything, then the hand-made finish, then the last step's own promotion, then
 * starting a step that has not started, then skipping, then a pause, and only then the hold.
 */
export function nextAction(
  status: RolloutStatus,
  intents: RolloutIntents,
  now: number,
  intervalMs: number,
  startedBy: string,
): RolloutAction {
  const step = status.steps[status.stepIndex]!;
  if (intents.abort)
    return {
      kind: 'roll-back',
      stage: 'aborted',
      actor: intents.abort.actor,
      reason: intents.abort.reason ?? 'rollback requested',
    };
  if (intents.supersede)
    return {
      kind: 'roll-back',
      stage: 'superseded',
      actor: intents.supersede.actor,
      reason: `superseded by ${intents.supersede.version}`,
    };
  if (intents.finishNow)
    return {
      kind: 'finish',
      how: 'finish-now',
      actor: intents.finishNow.actor,
      reason: intents.finishNow.reason ?? 'promoted in full by hand',
    };
  // The last step is the promotion itself: at 100% there is no baseline left to compare with.
  if (!step.shadow && step.weightBp >= FULL_WEIGHT_BP)
    return { kind: 'finish', how: 'complete', actor: startedBy, reason: 'every step passed its analysis' };
  if (step.state === 'pending') return { kind: 'enter-step' };
  if (intents.skipStep) return { kind: 'skip-step', by: intents.skipStep };
  if (status.paused) return { kind: 'wait-while-paused' };
  return {
    kind: 'hold-then-analyse',
    waitMs: waitBeforeAnalysis(step, intervalMs, now),
    awaitingApproval: liveStage(status) === 'awaiting-approval',
  };
}
