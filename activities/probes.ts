import type { Pool } from '../src/db/pool';
import type { AlertWebhook } from '../src/monitoring/alertWebhook';
import { runProbePass, type ProbeResult } from '../src/monitoring/syntheticProbes';

export function createProbeActivities(pool: Pool, options: { gatewayUrls: readonly string[]; webhook?: AlertWebhook }) {
  return {
    /** One pass of golden requests through the gateways; failures raise alerts (see runProbePass). */
    async runSyntheticProbes(): Promise<{ results: ProbeResult[]; raised: number; resolved: number }> {
      return runProbePass(pool, options);
    },
  };
}

export type ProbeActivities = ReturnType<typeof createProbeActivities>;
