import { condition, getExternalWorkflowHandle, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { IncidentActivities } from '../activities/incidents';
import type { IncidentView, QualityRegression } from '../src/model/incident';
import { describeRollback, noReleaseFinding, rollbackPlan } from '../src/model/qualityRollback';
import type { IncidentRun } from './incidentRun';
import { rollbackSignal, rolloutWorkflowId } from './rolloutMessages';

const { findPromptChanges, rollBackProduction, collectEvidence, alertIsOpen, judgeSinceMitigation, undoRollback } =
  proxyActivities<IncidentActivities>({
    startToCloseTimeout: '30 seconds',
    retry: { maximumAttempts: 5, initialInterval: '1 second' },
  });
const { ensureStableRoute } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '1 minute',
  heartbeatTimeout: '10 seconds',
  retry: { maximumAttempts: 5, initialInterval: '1 second' },
});

/**
 * The quality-regression playbook: find what changed for the prompt in the last day, roll it back
 * (abort a live canary, else production back one release), keep the worst-scored answers as
 * evidence, then check the alert is back in bounds after `verifyMinutes`. A rollback that did not
 * help is undone and the incident escalates; with nothing released to roll back it escalates at
 * once (the cause is elsewhere: a provider's model, the data).
 */
export async function qualityRegressionPlaybook(run: IncidentRun, input: QualityRegression): Promise<IncidentView> {
  const quality = (run.view.quality = { prompt: input.prompt } as NonNullable<IncidentView['quality']>);
  run.moveTo('mitigating');
  const changes = await findPromptChanges({ prompt: input.prompt, hours: input.changeHours });
  quality.production = changes.production;
  const plan = rollbackPlan(changes);
  await run.record(
    'investigate',
    'flightdeck',
    `${changes.changes.length} change(s) to ${input.prompt} in ${input.changeHours} h; production ${changes.production ?? 'none'}; ` +
      (plan ? `rollback: ${describeRollback(plan)}` : 'nothing released to roll back'),
    { changes: changes.changes },
  );
  if (!plan)
    return run.close(
      await run.escalateUntilResolved(
        `nothing was released for ${input.prompt} in ${input.changeHours} h: ${noReleaseFinding(changes.changes)}`,
      ),
    );
  quality.rollback = describeRollback(plan);
  run.show();
  if (input.approval) {
    const outcome = await run.approval('rollback', input.approvalTimeoutMinutes, input.onTimeout);
    if (outcome === 'resolved') return run.close(run.resolution!);
    if (outcome === 'refused' || (outcome === 'timed-out' && input.onTimeout === 'skip'))
      return run.close(await run.escalateUntilResolved('the rollback was not approved'));
  }
  const reason = `${workflowInfo().workflowId}: ${input.reason}`;
  if (plan.kind === 'abort-canary') {
    await getExternalWorkflowHandle(rolloutWorkflowId(input.prompt))
      .signal(rollbackSignal, { actor: workflowInfo().workflowId, reason })
      .catch(() => undefined); // the rollout may be gone or stuck: ensureStableRoute writes the route then
    await ensureStableRoute({ incidentId: run.incidentId, prompt: input.prompt, reason });
  } else await rollBackProduction({ incidentId: run.incidentId, prompt: input.prompt, to: plan.to, reason });
  run.moveTo('mitigated');
  quality.evidence = await collectEvidence({
    incidentId: run.incidentId,
    prompt: input.prompt,
    hours: input.changeHours,
  });
  run.show();

  if (await condition(() => run.resolution !== undefined, `${input.verifyMinutes} minutes`))
    return run.close(run.resolution!);
  // The rule over the time since the rollback alone (the alert's longer windows still hold the
  // regression); incidents that waited here before this check replay the alert's state instead.
  const since = !input.alertKey
    ? undefined
    : patched('verify-since-rollback')
      ? await judgeSinceMitigation({ alertKey: input.alertKey, minutes: input.verifyMinutes })
      : (await alertIsOpen({ key: input.alertKey }))
        ? { verdict: 'still-out' as const, reason: 'the alert is still open' }
        : { verdict: 'back-in-bounds' as const, reason: 'the alert resolved' };
  if (since?.verdict === 'still-out') {
    quality.verified = false;
    run.show();
    if (plan.kind === 'label') await undoRollback({ incidentId: run.incidentId, prompt: input.prompt, to: plan.from });
    return run.close(
      await run.escalateUntilResolved(
        `still out of bounds ${input.verifyMinutes} min after the rollback (${since.reason})`,
      ),
    );
  }
  if (since?.verdict === 'back-in-bounds') quality.verified = true;
  run.show();
  return run.close({
    actor: 'flightdeck',
    reason: !since
      ? `rolled back; no alert to check, closed after ${input.verifyMinutes} min`
      : since.verdict === 'back-in-bounds'
        ? `back in bounds ${input.verifyMinutes} min after the rollback (${since.reason})`
        : `rolled back and kept; not verified: ${since.reason}`,
  });
}
