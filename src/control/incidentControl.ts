import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { InputError } from '../errors';
import type { Attribution } from '../model/attribution';
import {
  incidentSummary,
  incidentWorkflowId,
  parseIncidentInput,
  type IncidentInput,
  type IncidentView,
} from '../model/incident';
import type { ProviderConfig } from '../providers/config';
import { parseTarget } from '../routing/fallbackChain';
import { TASK_QUEUE } from '../temporal/connection';
import { incidentWorkflow } from '../../workflows/incident';
import { incidentStatusQuery, resolveIncidentSignal } from '../../workflows/incidentMessages';

/**
 * Start an incident (on-call's `incident start`): validated first, so bad input changes nothing.
 * An incident of the same kind and key already open is joined, not doubled.
 */
export async function startIncident(
  client: Client,
  raw: IncidentInput,
  config: ProviderConfig,
): Promise<{ workflowId: string; joined: boolean; status: IncidentView }> {
  const input = parseIncidentInput(raw);
  // Both must be models a provider serves (the error names the providers file).
  for (const model of [input.model, input.backup]) parseTarget(model, config);
  const workflowId = incidentWorkflowId(input.kind, input.key);
  let joined = false;
  try {
    await client.workflow.start(incidentWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [raw],
      staticSummary: incidentSummary(input),
      staticDetails: `Started by ${input.actor}: ${input.reason}. Signal: resolve; query: status.`,
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    joined = true;
  }
  return { workflowId, joined, status: await statusOf(client, workflowId) };
}

/** The live status of an incident workflow, waiting briefly for its first step to be taken. */
async function statusOf(client: Client, workflowId: string): Promise<IncidentView> {
  const handle = client.workflow.getHandle(workflowId);
  for (let attempt = 0; ; attempt++) {
    const status = await handle.query(incidentStatusQuery);
    if (status.status !== 'mitigating' || attempt >= 50) return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** On-call ends an incident: the mitigation is undone and it closes (its workflow finishes). */
export async function resolveIncident(client: Client, workflowId: string, by: Attribution): Promise<IncidentView> {
  const handle = client.workflow.getHandle(workflowId);
  try {
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING')
      throw new InputError(`Incident ${workflowId} is not open (${description.status.name.toLowerCase()})`);
  } catch (error) {
    if (error instanceof WorkflowNotFoundError)
      throw new InputError(`No incident ${workflowId}; see \`flightdeck incident list\``);
    throw error;
  }
  await handle.signal(resolveIncidentSignal, by);
  return (await handle.result()) as IncidentView;
}
