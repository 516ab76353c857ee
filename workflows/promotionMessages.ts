import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { PromotionStatus } from '../src/release/promotionStatus';

/** Messages of the promotion workflow, shared by the workflow and the CLI (`rollout abort` while it evaluates). */
export interface Decision {
  actor: string;
  reason?: string;
}

export const cancelSignal = defineSignal<[Decision]>('cancel');
export const statusQuery = defineQuery<PromotionStatus>('status');

export function promotionWorkflowId(prompt: string, version: string): string {
  return `promotion/${prompt}/${version}`;
}
