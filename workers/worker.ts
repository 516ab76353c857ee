import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { createCanaryActivities } from '../activities/canaries';
import { createDrillActivities } from '../activities/drills';
import { createEvalActivities } from '../activities/evals';
import { createIncidentActivities } from '../activities/incidents';
import { createSecurityIncidentActivities } from '../activities/securityIncident';
import { createMonitoringActivities } from '../activities/monitoring';
import { createProbeActivities } from '../activities/probes';
import { createRegistryActivities } from '../activities/registry';
import { createRolloutActivities } from '../activities/rollout';
import type { Pool } from '../src/db/pool';
import type { AlertWebhook } from '../src/monitoring/alertWebhook';
import type { ProviderDirectory } from '../src/providers/directory';
import { TASK_QUEUE } from '../src/temporal/connection';
import { failFastOnBadInput } from './failFastOnBadInput';

export interface FlightdeckWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  pool: Pool;
  /** Where activities send model calls (evals, judges). */
  providers: ProviderDirectory;
  workflowBundle: WorkflowBundleOption;
  taskQueue?: string;
  /** Slack-compatible webhook for rollout events (FLIGHTDECK_WEBHOOK_URL). */
  webhookUrl?: string;
  /** Monitor rules file (FLIGHTDECK_MONITORS_FILE; else ./flightdeck.monitors.yaml or the built-in rules). */
  monitorsFile?: string;
  /** Where new monitor alerts are posted (FLIGHTDECK_ALERT_WEBHOOK_URL and _SECRET). */
  alertWebhook?: AlertWebhook;
  /** Every gateway drills and synthetic probes send their traffic to (FLIGHTDECK_GATEWAY_URLS). */
  gatewayUrls?: readonly string[];
  /** Replaces the activities (a workflow test scripts some of them on the real test server). */
  activities?: FlightdeckActivities;
}

/** Every activity the worker serves. */
export function flightdeckActivities(
  options: Pick<
    FlightdeckWorkerOptions,
    'pool' | 'providers' | 'webhookUrl' | 'monitorsFile' | 'alertWebhook' | 'gatewayUrls'
  >,
) {
  return {
    ...createRegistryActivities(options.pool),
    ...createEvalActivities(options.pool, options.providers),
    ...createRolloutActivities(options.pool, options.providers, { webhookUrl: options.webhookUrl }),
    ...createMonitoringActivities(options.pool, options.providers, options.monitorsFile, options.alertWebhook),
    ...createIncidentActivities(options.pool, options.providers, options.alertWebhook, options.monitorsFile),
    ...createSecurityIncidentActivities(options.pool, options.alertWebhook),
    ...createDrillActivities(options.pool, {
      gatewayUrls: options.gatewayUrls ?? [],
      monitorsFile: options.monitorsFile,
      providerConfig: options.providers.config,
    }),
    ...createProbeActivities(options.pool, { gatewayUrls: options.gatewayUrls ?? [], webhook: options.alertWebhook }),
    ...createCanaryActivities(options.pool, options.providers, {
      gatewayUrls: options.gatewayUrls ?? [],
      webhook: options.alertWebhook,
    }),
  };
}

export type FlightdeckActivities = ReturnType<typeof flightdeckActivities>;

/** The one Flightdeck worker: every workflow and activity, on the `flightdeck` task queue. */
export function createFlightdeckWorker(options: FlightdeckWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    workflowBundle: options.workflowBundle,
    activities: options.activities ?? flightdeckActivities(options),
    interceptors: { activity: [failFastOnBadInput] },
    // A small machine: keep the sticky cache and concurrency modest.
    maxCachedWorkflows: 100,
    maxConcurrentActivityTaskExecutions: 20,
    maxConcurrentWorkflowTaskExecutions: 10,
  });
}
