/**
 * A Flightdeck worker in its own process, so a test can kill it (SIGKILL) mid-activity the way a
 * crashed machine would. Configured by env: DATABASE_URL, TEMPORAL_ADDRESS, TASK_QUEUE,
 * FLIGHTDECK_SIMULATOR_PORT and WORKFLOW_BUNDLE (a path); FLIGHTDECK_GATEWAY_URLS and
 * FLIGHTDECK_MONITORS_FILE when a drill needs them. Prints "ready" once polling.
 * SLOW_ACTIVITY names an activity that, after doing its work, waits a minute before reporting:
 * a test kills the worker in that gap (the write is done, Temporal does not know yet).
 * SLOW_ARGS, when set, narrows it to calls whose arguments (as JSON) contain that text.
 */
import { readFileSync } from 'node:fs';
import { NativeConnection } from '@temporalio/worker';
import { createPool } from '../../src/db/pool';
import { installWorkerRuntime } from '../../workers/runtime';
import { createFlightdeckWorker, flightdeckActivities, type FlightdeckActivities } from '../../workers/worker';
import { simulatorProviders } from './providers';

async function main(): Promise<void> {
  installWorkerRuntime('WARN');
  const pool = createPool(process.env.DATABASE_URL!);
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const providers = simulatorProviders(Number(process.env.FLIGHTDECK_SIMULATOR_PORT));
  const gatewayUrls = process.env.FLIGHTDECK_GATEWAY_URLS?.split(',');
  const monitorsFile = process.env.FLIGHTDECK_MONITORS_FILE;
  const activities: FlightdeckActivities = flightdeckActivities({ pool, providers, gatewayUrls, monitorsFile });
  const slow = process.env.SLOW_ACTIVITY as keyof FlightdeckActivities | undefined;
  if (slow) {
    const real = activities[slow] as (...args: unknown[]) => Promise<unknown>;
    Object.assign(activities, {
      [slow]: async (...args: unknown[]) => {
        const result = await real(...args);
        if (process.env.SLOW_ARGS && !JSON.stringify(args).includes(process.env.SLOW_ARGS)) return result;
        process.stdout.write(`${slow} done\n`);
        await new Promise((resolve) => setTimeout(resolve, 60_000));
        return result;
      },
    });
  }
  const worker = await createFlightdeckWorker({
    connection,
    namespace: 'default',
    pool,
    providers,
    activities,
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
