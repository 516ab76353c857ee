import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { ProbeActivities } from '../activities/probes';

const { runSyntheticProbes } = proxyActivities<ProbeActivities>({
  startToCloseTimeout: '4 minutes',
  retry: { maximumAttempts: 2 },
});

/**
 * Every few minutes (a schedule): golden requests per production prompt through the gateway as the
 * synthetic probe tenant; a failure is an alert. The cheapest early warning of an outage or a silent
 * model change between the daily evals.
 */
export async function syntheticProbesWorkflow(): Promise<{ probes: number; failed: number; raised: number }> {
  const pass = await runSyntheticProbes();
  const failed = pass.results.filter((r) => !r.passed).length;
  setCurrentDetails(
    `**Synthetic probes**: ${pass.results.length} golden requests, ${failed} failed, ${pass.raised} alerts raised, ${pass.resolved} resolved`,
  );
  return { probes: pass.results.length, failed, raised: pass.raised };
}
