import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Pool } from '../../src/db/pool';
import type { ProviderDirectory } from '../../src/providers/directory';
import type { ServerExecutable } from '../../src/temporal/binaries';
import { ensureSearchAttributes } from '../../src/temporal/searchAttributes';
import { createFlightdeckWorker, type FlightdeckWorkerOptions } from '../../workers/worker';
import { harnessValue } from './harnessEnv';

/** The bundle built once by globalSetup. */
export function workflowBundle(): { code: string } {
  return { code: readFileSync(harnessValue('workflowBundle'), 'utf8') };
}

/** A task queue of this test's own, so parallel test files sharing the dev server never steal each other's tasks. */
export function uniqueTaskQueue(prefix = 'test'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

export interface DevServerHandles {
  client: Client;
  workerConnection: NativeConnection;
  /** A worker on its own task queue; activities call models through `providers`; `more` adds options (gateway URLs, a monitors file). */
  worker(
    pool: Pool,
    taskQueue: string,
    providers: ProviderDirectory,
    more?: Pick<FlightdeckWorkerOptions, 'gatewayUrls' | 'monitorsFile'>,
  ): Promise<Worker>;
  /** The same worker, running until close() shuts it down (before the connections close). */
  runWorker(...args: Parameters<DevServerHandles['worker']>): Promise<void>;
  close(): Promise<void>;
}

/** Client and worker connections to the run's shared dev server. */
export async function connectDevServer(): Promise<DevServerHandles> {
  const address = harnessValue('temporalAddress');
  const connection = await Connection.connect({ address });
  const workerConnection = await NativeConnection.connect({ address });
  const running: Array<{ worker: Worker; done: Promise<void> }> = [];
  const worker: DevServerHandles['worker'] = (pool, taskQueue, providers, more) =>
    createFlightdeckWorker({
      ...more,
      connection: workerConnection,
      namespace: 'default',
      pool,
      taskQueue,
      providers,
      workflowBundle: workflowBundle(),
    });
  return {
    client: new Client({ connection }),
    workerConnection,
    worker,
    runWorker: async (...args) => {
      const started = await worker(...args);
      running.push({ worker: started, done: started.run() });
    },
    close: async () => {
      for (const r of running) r.worker.shutdown();
      await Promise.all(running.map((r) => r.done));
      await workerConnection.close();
      await connection.close();
    },
  };
}

/** A time-skipping environment (the Java test server) for workflows with long holds, with our search attributes. */
export async function timeSkippingEnvironment(): Promise<TestWorkflowEnvironment> {
  const executable = JSON.parse(harnessValue('testServer')) as ServerExecutable;
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable } });
  await ensureSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}
