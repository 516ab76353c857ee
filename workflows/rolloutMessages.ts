import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { RolloutStatus } from '../src/release/rolloutStatus';
import type { Decision } from './promotionMessages';

/**
 * Messages of the rollout workflow (`rollout/<prompt>`), shared by the workflow and the CLI; the
 * same names work with `temporal workflow signal|update|query`.
 */
export const pauseSignal = defineSignal<[Decision]>('pause');
export const resumeSignal = defineSignal<[Decision]>('resume');
export const approveSignal = defineSignal<[Decision]>('approve');
export const rollbackSignal = defineSignal<[Decision]>('rollback');
/** A newer candidate is on its way: traffic goes back to stable and this rollout ends. */
export const supersedeSignal = defineSignal<[Decision & { version: string }]>('supersede');
/** Skip to the next step now (validated: the rollout is live). */
export const promoteUpdate = defineUpdate<RolloutStatus, [Decision]>('promote');
/** Finish now: production moves to the candidate (audited). */
export const promoteFullUpdate = defineUpdate<RolloutStatus, [Decision]>('promoteFull');
export const rolloutStatusQuery = defineQuery<RolloutStatus>('status');

export function rolloutWorkflowId(prompt: string): string {
  return `rollout/${prompt}`;
}
