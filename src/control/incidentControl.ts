import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import { InputError } from '../errors';
import type { Attribution } from '../model/attribution';
import {
  incidentSummary,
  incidentWorkflowId,
  parseIncidentInput,
  type Approval,
  type IncidentInput,
  type IncidentView,
} from '../model/incident';
import type { ProviderConfig } from '../providers/config';
import { parseTarget } from '../routing/fallbackChain';
import { TASK_QUEUE } from '../temporal/connection';
import { incidentWorkflow } from '../../workflows/incident';
import {
  ackIncidentSignal,
  approveIncidentUpdate,
  escalateIncidentSignal,
  incidentStatusQuery,
  resolveIncidentSignal,
} from '../../workflows/incidentMessages';

/**
 * Start an incident (on-call's `incident start`): validated first, so bad input changes nothing.
 * An incident of the same kind and key already open is joined, not doubled.
 */
export async function startIncident(
  client: Client,
  raw: IncidentInput,
  known: {
    config: ProviderConfig;
    tenantExists?: (id: string) => Promise<boolean>;
    promptExists?: (name: string) => Promise<boolean>;
  },
): Promise<{ workflowId: string; joined: boolean; status: IncidentView }> {
  const input = parseIncidentInput(raw);
  if (input.kind === 'provider-outage') {
    // Both must be models a provider serves (the error names the providers file).
    for (const model of [input.model, input.backup]) if (model) parseTarget(model, known.config);
  } else if (input.kind === 'cost-runaway' && known.tenantExists && !(await known.tenantExists(input.tenant)))
    throw new InputError(`No tenant "${input.tenant}"; see \`flightdeck tenant list\``);
  else if (input.kind === 'quality-regression' || input.kind === 'security') {
    const tenant = input.kind === 'security' ? input.tenant : undefined;
    if (tenant && known.tenantExists && !(await known.tenantExists(tenant)))
      throw new InputError(`No tenant "${tenant}"; see \`flightdeck tenant list\``);
    if (input.prompt && known.promptExists && !(await known.promptExists(input.prompt)))
      throw new InputError(`No prompt "${input.prompt}"; see \`flightdeck prompt list\``);
  }
  const workflowId = incidentWorkflowId(input.kind, input.key);
  let joined = false;
  try {
    await client.workflow.start(incidentWorkflow, {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [raw],
      staticSummary: incidentSummary(input),
      staticDetails: `Started by ${input.actor}: ${input.reason}. Signals: resolve, ack, escalate; update: approve; query: status.`,
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    joined = true;
  }
  return { workflowId, joined, status: await statusOf(client, workflowId) };
}

/** The live status of an incident workflow, waiting briefly (5 s) for a step to be taken: by default its first. */
async function statusOf(
  client: Client,
  workflowId: string,
  taken: (status: IncidentView) => boolean = (status) => status.status !== 'mitigating',
): Promise<IncidentView> {
  const handle = client.workflow.getHandle(workflowId);
  for (let attempt = 0; ; attempt++) {
    const status = await handle.query(incidentStatusQuery);
    if (taken(status) || attempt >= 50) return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The handle of an incident still open; a closed or unknown one is an InputError naming the next step. */
async function openIncidentHandle(client: Client, workflowId: string) {
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
  return handle;
}

/** On-call ends an incident: the mitigation is undone and it closes (its workflow finishes). */
export async function resolveIncident(client: Client, workflowId: string, by: Attribution): Promise<IncidentView> {
  const handle = await openIncidentHandle(client, workflowId);
  await handle.signal(resolveIncidentSignal, by);
  return (await handle.result()) as IncidentView;
}

/** On-call's acknowledgement or escalation: recorded in the timeline and notified; the status after it. */
export async function signalIncident(
  client: Client,
  workflowId: string,
  message: 'ack' | 'escalate',
  by: Attribution,
): Promise<IncidentView> {
  const handle = await openIncidentHandle(client, workflowId);
  await handle.signal(message === 'ack' ? ackIncidentSignal : escalateIncidentSignal, by);
  return handle.query(incidentStatusQuery);
}

/** Approve or refuse the rung waiting; a rung not waiting is an InputError and changes nothing. */
export async function approveIncident(client: Client, workflowId: string, approval: Approval): Promise<IncidentView> {
  const handle = await openIncidentHandle(client, workflowId);
  try {
    const view = await handle.executeUpdate(approveIncidentUpdate, { args: [approval] });
    // A rotation's new key is printed with the old one's end: wait briefly for the rotation to be written.
    if (approval.step !== 'rotate-key' || !approval.approve) return view;
    return statusOf(client, workflowId, (status) => status.security?.newKeyPrefix === approval.newKeyPrefix);
  } catch (error) {
    if (error instanceof WorkflowUpdateFailedError)
      throw new InputError((error.cause as Error | undefined)?.message ?? error.message);
    throw error;
  }
}
