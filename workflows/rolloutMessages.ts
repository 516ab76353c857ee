import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RolloutStatus } from '../src/model/rolloutStatus';
import type { Attribution } from '../src/model/attribution';

/**
 * Messages of the rollout workflow (`rollout/<prompt>`), shared by the workflow and the CLI; the
 * same names work with `temporal workflow signal|update|query`.
 */
export const pauseSignal = defineSignal<[Attribution]>('pause');
export const resumeSignal = defineSignal<[Attribution]>('resume');
export const approveSignal = defineSignal<[Attribution]>('approve');
export const rollbackSignal = defineSignal<[Attribution]>('rollback');
/** A newer candidate is on its way: traffic goes back to stable and this rollout ends. */
export const supersedeSignal = defineSignal<[Attribution & { version: string }]>('supersede');
/**
 * Skip to the next step now (validated: the rollout is live). Its wire name stays `promote`, as
 * `temporal workflow update execute --name promote` and recorded histories use it.
 */
export const skipStepUpdate = defineUpdate<RolloutStatus, [Attribution]>('promote');
/** Finish now: production moves to the candidate (audited). Wire name `promoteFull`, kept likewise. */
export const finishNowUpdate = defineUpdate<RolloutStatus, [Attribution]>('promoteFull');
export const rolloutStatusQuery = defineQuery<RolloutStatus>('status');

export function rolloutWorkflowId(prompt: string): string {
  return `rollout/${prompt}`;
}
