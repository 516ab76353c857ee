import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, proxyActivities, setCurrentDetails, startChild } from '@temporalio/workflow';
import type { MonitoringActivities } from '../activities/monitoring';
import { judgeConfirmationWorkflow } from './judgeConfirmation';

type MonitorPassSummary = Awaited<ReturnType<MonitoringActivities['monitorPass']>>;
type Confirmation = MonitorPassSummary['confirmations'][number];

const { monitorPass } = proxyActivities<MonitoringActivities>({
  startToCloseTimeout: '50 seconds',
  // Retried within the minute; past that the run fails and shows as failed, never as a quiet pass.
  retry: { maximumAttempts: 3, initialInterval: '2 seconds' },
  summary: 'judge every monitor rule over the rollups',
});

/** Every minute (a schedule, overlap skipped): judge the monitor rules and raise or resolve alerts. */
export async function monitorPassWorkflow(): Promise<MonitorPassSummary> {
  const summary = await monitorPass();
  // Passes recorded before confirmation sampling carry no confirmations.
  for (const confirmation of summary.confirmations ?? []) await startConfirmation(confirmation);
  setCurrentDetails(
    [
      `**Monitor pass** at ${summary.at}`,
      '',
      `- rules: ${summary.rules}, series judged: ${summary.series}`,
      `- firing: ${summary.firing} (new alerts: ${summary.raised}), resolved: ${summary.resolved}`,
      `- no data: ${summary.noData}, too little traffic: ${summary.lowVolume}`,
      ...summary.alerts.map((a) => `- ${a.key}: ${a.outcome}`),
      ...(summary.confirmations ?? []).map((c) => `- ${c.key}: suspected, ${c.answers} more answers to judge`),
    ].join('\n'),
  );
  return summary;
}

/**
 * A child that outlives the pass (the schedule skips a pass still running, and judging takes longer
 * than deciding). One per series at a time: a series still being confirmed is left to it.
 */
async function startConfirmation(confirmation: Confirmation): Promise<void> {
  try {
    await startChild(judgeConfirmationWorkflow, {
      workflowId: `judge-confirmation/${confirmation.key}`,
      args: [confirmation],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      staticSummary: `Judge ${confirmation.answers} more answers of ${confirmation.key}`,
    });
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
  }
}
