import type { Pool } from '../src/db/pool';
import type { AlertWebhook } from '../src/monitoring/alertWebhook';
import { loadMonitorRules } from '../src/monitoring/monitorRules';
import { runMonitorPass, type MonitorPassSummary } from '../src/monitoring/monitorPass';

/** Monitoring activities: one monitor pass over the rollups, with the worker's rules file. */
export function createMonitoringActivities(pool: Pool, rulesFile?: string, webhook?: AlertWebhook) {
  return {
    async monitorPass(): Promise<MonitorPassSummary> {
      // Read on every pass: an edited rules file applies from the next minute, a broken one fails the pass visibly.
      return runMonitorPass(pool, loadMonitorRules(rulesFile), { webhook });
    },
  };
}

export type MonitoringActivities = ReturnType<typeof createMonitoringActivities>;
