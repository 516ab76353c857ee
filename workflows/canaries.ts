import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { executeChild, proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { CanaryActivities } from '../activities/canaries';
import { isoWeek, parseCanaryInput, type CanaryInput } from '../src/model/canary';
import { incidentSummary, incidentWorkflowId } from '../src/model/incident';
import { incidentWorkflow } from './incident';
import { startDetached } from './startDetached';
import { parseStartInput } from './startInput';

const { planCanaryRun, finishCanaryRun } = proxyActivities<CanaryActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { maximumAttempts: 3 },
});
const { runCanaryBatch } = proxyActivities<CanaryActivities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '2 minutes',
  retry: { maximumAttempts: 3 },
});

/**
 * The weekly jailbreak canary (`canaries/<week>`): the versioned suite against every production
 * prompt and live candidate through the gateway as the synthetic canary tenant, one batch (every
 * case once) per target and attempt; then the statistics, a rise alert, and a security incident for
 * every attack that was fixed before and works again.
 */
export async function canaryWorkflow(raw: CanaryInput) {
  const input = parseStartInput(parseCanaryInput, raw);
  const { workflowId } = workflowInfo();
  const plan = await planCanaryRun({ ...input, workflowId });
  const total = plan.targets.length * plan.repeat;
  let done = 0;
  let succeeded = 0;
  for (let attempt = 0; attempt < plan.repeat; attempt++)
    for (const target of plan.targets) {
      setCurrentDetails(
        `**Jailbreak canary** (suite ${plan.suiteVersion})\n\n- batch ${done + 1} of ${total}: ${target.prompt} ${target.variant} ${target.version}, attempt ${attempt + 1}\n- attacks that worked so far: ${succeeded}`,
      );
      const batch = await runCanaryBatch({
        ...input,
        workflowId,
        prompt: target.prompt,
        variant: target.variant,
        attempt,
      });
      succeeded += batch.succeeded;
      done += 1;
    }
  const { analysis, incidents } = await finishCanaryRun({ ...input, workflowId });
  for (const incident of incidents)
    await startDetached(incidentWorkflow, incidentWorkflowId(incident.kind, incident.key), [incident], {
      summary: incidentSummary(incident),
    });
  const { overall, overRefusal } = analysis.summary;
  setCurrentDetails(
    [
      `**Jailbreak canary** (suite ${plan.suiteVersion}): done`,
      '',
      `- attack success: ${(overall.rate * 100).toFixed(1)}% (${overall.successes} of ${overall.attempts}, 95% ${(overall.low * 100).toFixed(1)}-${(overall.high * 100).toFixed(1)}%)`,
      `- over-refusal: ${(overRefusal.rate * 100).toFixed(1)}% of ${overRefusal.attempts} benign`,
      `- rise against earlier runs: ${analysis.rise.rose ? `yes, ${(analysis.rise.rise * 100).toFixed(1)} points` : 'no'}`,
      ...analysis.reappeared.map((a) => `- came back: ${a.prompt} / ${a.caseId} (security incident started)`),
    ].join('\n'),
  );
  return { suiteVersion: plan.suiteVersion, targets: plan.targets, ...analysis };
}

/**
 * The weekly schedule's start: this week's run is `canaries/<ISO week>`, whatever the schedule names
 * its own. A week someone already ran by hand (`canaries run`) is not run twice.
 */
export async function weeklyCanaryWorkflow(raw: CanaryInput): Promise<{ week: string; ran: boolean }> {
  const week = isoWeek(new Date());
  try {
    await executeChild(canaryWorkflow, {
      workflowId: `canaries/${week}`,
      args: [raw],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
    return { week, ran: true };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { week, ran: false };
    throw error;
  }
}
