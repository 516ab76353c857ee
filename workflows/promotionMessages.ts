import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Attribution } from '../src/model/attribution';
import type { PromotionStatus } from '../src/model/promotionStatus';

/** Messages of the promotion workflow, shared by the workflow and the CLI (`rollout abort` while it evaluates). */

export const cancelSignal = defineSignal<[Attribution]>('cancel');
export const statusQuery = defineQuery<PromotionStatus>('status');

export function promotionWorkflowId(prompt: string, version: string): string {
  return `promotion/${prompt}/${version}`;
}
