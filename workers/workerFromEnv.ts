import type { NativeConnection, Worker } from '@temporalio/worker';
import type { Env } from '../src/config/env';
import type { Pool } from '../src/db/pool';
import { alertWebhookFromEnv } from '../src/monitoring/alertWebhook';
import { prefetchBaselines } from '../src/monitoring/monitorPass';
import { loadMonitorRules, loadMonitorsFile } from '../src/monitoring/monitorRules';
import { OutageWatch } from '../src/incidents/outageWatch';
import { probeModelAs } from '../src/incidents/providerProbe';
import { startIncident } from '../src/control/incidentControl';
import { withTemporalClient } from '../src/temporal/connection';
import { loadProviderConfig } from '../src/providers/config';
import { ProviderDirectory } from '../src/providers/directory';
import { connectWorker } from '../src/temporal/workerConnection';
import { bundleWorkflows } from './bundle';
import { createFlightdeckWorker } from './worker';

/** The worker as `flightdeck worker` and `flightdeck dev` run it: Temporal, providers and webhook from the environment. */
export async function workerFromEnv(
  env: Env,
  pool: Pool,
): Promise<{ worker: Worker; connection: NativeConnection; outageWatch: OutageWatch }> {
  const connection = await connectWorker(env);
  const providers = new ProviderDirectory(loadProviderConfig(env), env);
  const worker = await createFlightdeckWorker({
    connection,
    namespace: env.TEMPORAL_NAMESPACE,
    pool,
    providers,
    workflowBundle: await bundleWorkflows(),
    webhookUrl: env.FLIGHTDECK_WEBHOOK_URL,
    monitorsFile: env.FLIGHTDECK_MONITORS_FILE,
    alertWebhook: alertWebhookFromEnv(env),
    gatewayUrls: env.FLIGHTDECK_GATEWAY_URLS ?? [`http://127.0.0.1:${env.FLIGHTDECK_GATEWAY_PORT}`],
  });
  // A new worker's first monitor pass would read every 28-day baseline (about 20 s at 1,000 tenants):
  // read them now, so the first scheduled pass, up to a minute away, finds them cached.
  void Promise.resolve()
    .then(() => prefetchBaselines(pool, loadMonitorRules(env.FLIGHTDECK_MONITORS_FILE), new Date()))
    .catch(() => undefined); // a broken rules file fails the pass itself, visibly
  const outageWatch = new OutageWatch({
    pool,
    settings: () => loadMonitorsFile(env.FLIGHTDECK_MONITORS_FILE),
    probe: (model, tenant) => probeModelAs(pool, providers, model, tenant),
    start: (incident) =>
      withTemporalClient(env, (client) => startIncident(client, incident, { config: providers.config })),
  });
  await outageWatch.start();
  return { worker, connection, outageWatch };
}
