import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { spawnTs } from './childProcess';
import { harnessValue } from './harnessEnv';

/**
 * A Flightdeck worker in its own process (workerProcess.ts) on the harness's Temporal server, ready
 * once it polls: a test kills it with SIGKILL. `slow` makes it stall after that activity's work
 * (optionally only for calls whose arguments contain `args`), so the kill lands after the side effect.
 */
export async function spawnWorkerProcess(options: {
  databaseUrl: string;
  taskQueue: string;
  simulatorPort?: number;
  slow?: { activity: string; args?: string };
  /** More environment (FLIGHTDECK_GATEWAY_URLS, FLIGHTDECK_MONITORS_FILE for a drill). */
  env?: Record<string, string>;
}): Promise<ChildProcess> {
  const env = {
    ...process.env,
    DATABASE_URL: options.databaseUrl,
    TEMPORAL_ADDRESS: harnessValue('temporalAddress'),
    TASK_QUEUE: options.taskQueue,
    FLIGHTDECK_SIMULATOR_PORT: String(options.simulatorPort ?? 1),
    WORKFLOW_BUNDLE: harnessValue('workflowBundle'),
    ...(options.slow ? { SLOW_ACTIVITY: options.slow.activity, SLOW_ARGS: options.slow.args ?? '' } : {}),
    ...options.env,
  };
  return (await spawnTs(path.join(__dirname, 'workerProcess.ts'), [], /^ready$/, env)).child;
}
