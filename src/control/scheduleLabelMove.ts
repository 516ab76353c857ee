import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { InputError } from '../errors';
import { TASK_QUEUE } from '../temporal/connection';
import { labelMoveWorkflowId, type LabelMoveInput } from '../../workflows/labelMove';

export interface ScheduleRequest {
  name: string;
  ref: string;
  label: string;
  reason: string;
  at: string;
  actor: string;
}

/** Start the durable label-move workflow that waits until `at`. One pending move per prompt label. */
export async function scheduleLabelMove(
  client: Client,
  request: ScheduleRequest,
): Promise<{ workflowId: string; runId: string }> {
  const when = Date.parse(request.at);
  if (Number.isNaN(when))
    throw new InputError(`--at "${request.at}" is not a time; use ISO 8601 such as 2026-12-01T09:00:00Z`);
  const workflowId = labelMoveWorkflowId(request.name, request.label);
  const { at: _at, ...rest } = request;
  const input: LabelMoveInput = { ...rest, notBefore: new Date(when).toISOString() };
  try {
    const handle = await client.workflow.start('labelMoveWorkflow', {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [input],
      staticSummary: `Move ${request.name} ${request.label} to ${request.ref} at ${input.notBefore}`,
    });
    return { workflowId, runId: handle.firstExecutionRunId };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      throw new InputError(
        `A move of ${request.name} ${request.label} is already scheduled (workflow ${workflowId}); cancel it with \`temporal workflow cancel -w ${workflowId}\` first`,
      );
    }
    throw error;
  }
}
