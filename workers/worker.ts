import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { createRegistryActivities } from '../activities/registry';
import type { Pool } from '../src/db/pool';
import { TASK_QUEUE } from '../src/temporal/connection';

export interface FlightdeckWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  pool: Pool;
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
    activities: { ...createRegistryActivities(options.pool) },
    // A small machine: keep the sticky cache and concurrency modest.
    maxCachedWorkflows: 100,
    maxConcurrentActivityTaskExecutions: 20,
    maxConcurrentWorkflowTaskExecutions: 10,
  });
}
