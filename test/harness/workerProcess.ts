/**
 * A Flightdeck worker in its own process, so a test can kill it (SIGKILL) mid-activity the way a
 * crashed machine would. Configured by env: DATABASE_URL, TEMPORAL_ADDRESS, TASK_QUEUE,
 * FLIGHTDECK_SIMULATOR_PORT and WORKFLOW_BUNDLE (a path). Prints "ready" once polling.
 */
import { readFileSync } from 'node:fs';
import { NativeConnection } from '@temporalio/worker';
import { createPool } from '../../src/db/pool';
import { installWorkerRuntime } from '../../workers/runtime';
import { createFlightdeckWorker } from '../../workers/worker';
import { simulatorProviders } from './providers';

async function main(): Promise<void> {
  installWorkerRuntime('WARN');
  const pool = createPool(process.env.DATABASE_URL!);
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const worker = await createFlightdeckWorker({
    connection,
    namespace: 'default',
    pool,
    providers: simulatorProviders(Number(process.env.FLIGHTDECK_SIMULATOR_PORT)),
    taskQueue: process.env.TASK_QUEUE!,
    workflowBundle: { code: readFileSync(process.env.WORKFLOW_BUNDLE!, 'utf8') },
  });
  const running = worker.run();
  process.stdout.write('ready\n');
  await running;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
