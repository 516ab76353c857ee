import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, startChild } from '@temporalio/workflow';

/**
 * A child that outlives its parent (a monitor pass or a canary run ends long before the incident or
 * the judging it starts). One per id at a time: a series already being confirmed, or an incident
 * already open for the key (a storm is one incident), is left to it.
 */
export async function startDetached<A extends unknown[]>(
  workflow: (...args: A) => Promise<unknown>,
  workflowId: string,
  args: A,
  options: { summary: string },
): Promise<void> {
  try {
    await startChild(workflow, {
      workflowId,
      args,
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: options.summary,
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}
