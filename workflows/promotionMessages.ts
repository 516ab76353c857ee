import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { PromotionStatus } from '../src/release/promotionStatus';

/** Messages of the promotion workflow, shared by the workflow and the CLI (`rollout …`). */
export interface Decision {
  actor: string;
  reason?: string;
}

export const approveSignal = defineSignal<[Decision]>('approve');
export const rejectSignal = defineSignal<[Decision]>('reject');
export const cancelSignal = defineSignal<[Decision]>('cancel');
export const statusQuery = defineQuery<PromotionStatus>('status');

export function promotionWorkflowId(prompt: string, version: string): string {
  return `promotion/${prompt}/${version}`;
}
