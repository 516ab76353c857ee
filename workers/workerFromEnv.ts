import type { NativeConnection, Worker } from '@temporalio/worker';
import type { Env } from '../src/config/env';
import type { Pool } from '../src/db/pool';
import { alertWebhookFromEnv } from '../src/monitoring/alertWebhook';
import { loadProviderConfig } from '../src/providers/config';
import { ProviderDirectory } from '../src/providers/directory';
import { connectWorker } from '../src/temporal/workerConnection';
import { bundleWorkflows } from './bundle';
import { createFlightdeckWorker } from './worker';

/** The worker as `flightdeck worker` and `flightdeck dev` run it: Temporal, providers and webhook from the environment. */
export async function workerFromEnv(env: Env, pool: Pool): Promise<{ worker: Worker; connection: NativeConnection }> {
  const connection = await connectWorker(env);
  const worker = await createFlightdeckWorker({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    pool,
    providers: new ProviderDirectory(loadProviderConfig(env), env),
    workflowBundle: await bundleWorkflows(),
    webhookUrl: env.FLIGHTDECK_WEBHOOK_URL,
    monitorsFile: env.FLIGHTDECK_MONITORS_FILE,
    alertWebhook: alertWebhookFromEnv(env),
  });
  return { worker, connection };
}
