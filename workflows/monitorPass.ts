import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { MonitoringActivities } from '../activities/monitoring';
import { incidentSummary, incidentWorkflowId } from '../src/model/incident';
import { incidentWorkflow } from './incident';
import { judgeConfirmationWorkflow } from './judgeConfirmation';
import { startDetached } from './startDetached';

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
  // Passes recorded before confirmation sampling and playbooks carry neither.
  for (const confirmation of summary.confirmations ?? [])
    await startDetached(judgeConfirmationWorkflow, `judge-confirmation/${confirmation.key}`, [confirmation], {
      summary: `Judge ${confirmation.answers} more answers of ${confirmation.key}`,
    });
  for (const incident of summary.incidents ?? [])
    await startDetached(incidentWorkflow, incidentWorkflowId(incident.kind, incident.key), [incident], {
      summary: incidentSummary(incident),
    });
  setCurrentDetails(
    [
      `**Monitor pass** at ${summary.at}`,
      '',
      `- rules: ${summary.rules}, series judged: ${summary.series}`,
      `- firing: ${summary.firing} (new alerts: ${summary.raised}), resolved: ${summary.resolved}`,
      `- no data: ${summary.noData}, too little traffic: ${summary.lowVolume}`,
      ...summary.alerts.map((a) => `- ${a.key}: ${a.outcome}`),
      ...(summary.confirmations ?? []).map((c) => `- ${c.key}: suspected, ${c.answers} more answers to judge`),
      ...(summary.incidents ?? []).map((i) => `- ${i.key}: starts incident/${i.kind}/${i.key}`),
    ].join('\n'),
  );
  return summary;
}
