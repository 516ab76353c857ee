import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { loadCanarySuite } from '../canaries/canarySuite';
import { InputError } from '../errors';
import { isoWeek, parseCanaryInput, type CanaryInput } from '../model/canary';
import { TASK_QUEUE } from '../temporal/connection';
import { canaryWorkflow } from '../../workflows/canaries';

/**
 * Start a canary run, `canaries/<week>` unless an id is given. The suite is parsed here first, so a
 * broken one exits 2 with the reason and nothing is sent.
 */
export async function startCanaryRun(
  client: Client,
  raw: Partial<CanaryInput>,
  options: { id?: string; taskQueue?: string } = {},
): Promise<string> {
  const input = parseCanaryInput(raw);
  loadCanarySuite(input.suiteFile);
  const workflowId = `canaries/${options.id ?? isoWeek(new Date())}`;
  try {
    await client.workflow.start(canaryWorkflow, {
      taskQueue: options.taskQueue ?? TASK_QUEUE,
      workflowId,
      args: [input],
      // A run's attempts are stored under its id: the same id is never run twice.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: `Jailbreak canary, ${input.attempts} attempts at least`,
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError)
      throw new InputError(
        `${workflowId} already ran or is running: give another --id, or see \`flightdeck canaries report\``,
      );
    throw error;
  }
  return workflowId;
}
