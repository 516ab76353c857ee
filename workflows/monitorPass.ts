import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { MonitoringActivities } from '../activities/monitoring';

type MonitorPassSummary = Awaited<ReturnType<MonitoringActivities['monitorPass']>>;

const { monitorPass } = proxyActivities<MonitoringActivities>({
  startToCloseTimeout: '50 seconds',
  // Retried within the minute; past that the run fails and shows as failed, never as a quiet pass.
  retry: { maximumAttempts: 3, initialInterval: '2 seconds' },
  summary: 'judge every monitor rule over the rollups',
});

/** Every minute (a schedule, overlap skipped): judge the monitor rules and raise or resolve alerts. */
export async function monitorPassWorkflow(): Promise<MonitorPassSummary> {
  const summary = await monitorPass();
  setCurrentDetails(
    [
      `**Monitor pass** at ${summary.at}`,
      '',
      `- rules: ${summary.rules}, series judged: ${summary.series}`,
      `- firing: ${summary.firing} (new alerts: ${summary.raised}), resolved: ${summary.resolved}`,
      `- no data: ${summary.noData}, too little traffic: ${summary.lowVolume}`,
      ...summary.alerts.map((a) => `- ${a.key}: ${a.outcome}`),
    ].join('\n'),
  );
  return summary;
}
