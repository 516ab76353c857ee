import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { createEvalActivities } from '../activities/evals';
import { createRegistryActivities } from '../activities/registry';
import type { Pool } from '../src/db/pool';
import type { ProviderDirectory } from '../src/providers/directory';
import { TASK_QUEUE } from '../src/temporal/connection';

export interface FlightdeckWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  pool: Pool;
  /** Where activities send model calls (evals, judges). */
  providers: ProviderDirectory;
  workflowBundle: WorkflowBundleOption;
  taskQueue?: string;
}

/** The one Flightdeck worker: every workflow and activity, on the `flightdeck` task queue. */
export function createFlightdeckWorker(options: FlightdeckWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    workflowBundle: options.workflowBundle,
    activities: { ...createRegistryActivities(options.pool), ...createEvalActivities(options.pool, options.providers) },
    // A small machine: keep the sticky cache and concurrency modest.
    maxCachedWorkflows: 100,
    maxConcurrentActivityTaskExecutions: 20,
    maxConcurrentWorkflowTaskExecutions: 10,
  });
}
