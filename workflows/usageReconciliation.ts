import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { MonitoringActivities } from '../activities/monitoring';

type ReconciliationResult = Awaited<ReturnType<MonitoringActivities['reconcileUsage']>>;

const { reconcileUsage } = proxyActivities<MonitoringActivities>({
  startToCloseTimeout: '10 minutes',
  // A provider's report that fails is retried for an hour, then the run shows as failed.
  retry: { maximumAttempts: 6, initialInterval: '1 minute', backoffCoefficient: 2 },
  summary: "compare the day's request log with each provider's usage report",
});

/** Nightly (a schedule): yesterday's usage by our log against each provider's own report. */
export async function usageReconciliationWorkflow(input: { day?: string } = {}): Promise<ReconciliationResult> {
  const result = await reconcileUsage(input);
  setCurrentDetails(
    [
      `**Usage reconciliation** of ${result.day}`,
      '',
      ...result.providers.map(
        (p) =>
          `- ${p.provider}: ${p.status}${p.reason ? ` (${p.reason})` : ''}; cost ours $${p.ourCostUsd.toFixed(4)}${p.theirCostUsd === null ? '' : `, theirs $${p.theirCostUsd.toFixed(4)}`}`,
      ),
      `- new alerts: ${result.raised}, resolved: ${result.resolved}`,
    ].join('\n'),
  );
  return result;
}
