import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Pool } from '../db/pool';
import { revertDrillFaults } from '../drills/drillFaults';
import { InputError } from '../errors';
import type { Attribution } from '../model/attribution';
import { drillWorkflowId, parseDrillInput, type DrillInput, type DrillView } from '../model/drill';
import { TASK_QUEUE } from '../temporal/connection';
import { drillWorkflow } from '../../workflows/drill';
import { abortDrillSignal, drillStatusQuery } from '../../workflows/drillMessages';

/**
 * Start a drill: checked first (its input, and that its tenant is not a real one), so bad input
 * injects nothing. Returns the workflow id.
 */
export async function startDrill(
  client: Client,
  pool: Pool,
  raw: DrillInput,
  options: { taskQueue?: string } = {},
): Promise<string> {
  const input = parseDrillInput(raw);
  const { rows } = await pool.query<{ kind: string }>('SELECT kind FROM tenants WHERE id = $1', [input.tenant]);
  if (rows[0] && rows[0].kind !== 'synthetic')
    throw new InputError(
      `Tenant "${input.tenant}" carries real traffic: drills run on synthetic tenants only (leave --tenant out to use the drills' own)`,
    );
  const workflowId = drillWorkflowId(input.kind, input.id);
  try {
    await client.workflow.start(drillWorkflow, {
      taskQueue: options.taskQueue ?? TASK_QUEUE,
      workflowId,
      args: [input],
      // A drill's report is stored under its id: the same id is never run twice.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      staticSummary: `Drill ${input.kind} on tenant ${input.tenant}${input.dryRun ? ' (dry run)' : ''}`,
    });
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError)
      throw new InputError(`Drill ${workflowId} already ran or is running: give another --id`);
    throw error;
  }
  return workflowId;
}

export async function drillStatus(client: Client, workflowId: string): Promise<DrillView> {
  return client.workflow.getHandle(workflowId).query(drillStatusQuery);
}

/**
 * Stop every running drill. The faults go first, straight from Postgres (every gateway drops them
 * on NOTIFY, whether or not a worker is alive); then each running drill is told to abort, and its
 * finally path resolves what it started. Running drills are found both in the drill reports and
 * in Temporal's visibility (which lags a second behind a start).
 */
export async function abortDrills(
  client: Client,
  pool: Pool,
  by: Attribution,
): Promise<{ faultsReverted: number; drills: string[] }> {
  const reverted = await revertDrillFaults(pool, { actor: by.actor, reason: by.reason ?? 'drill abort' });
  const running = new Set<string>();
  const stored = await pool.query<{ workflow_id: string }>(
    "SELECT workflow_id FROM drill_runs WHERE status = 'running'",
  );
  for (const row of stored.rows) running.add(row.workflow_id);
  for await (const execution of client.workflow.list({
    query: `WorkflowType = 'drillWorkflow' AND ExecutionStatus = 'Running'`,
  }))
    running.add(execution.workflowId);
  const signalled: string[] = [];
  for (const workflowId of running) {
    const handle = client.workflow.getHandle(workflowId);
    try {
      const { status } = await handle.describe();
      if (status.name !== 'RUNNING') continue;
      await handle.signal(abortDrillSignal, by);
      signalled.push(workflowId);
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
  }
  return { faultsReverted: reverted.length, drills: signalled };
}
