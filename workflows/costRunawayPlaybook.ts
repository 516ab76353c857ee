import { condition, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { IncidentActivities } from '../activities/incidents';
import { nextCostStep, throttleRpm } from '../src/model/costPolicy';
import type { CostRunaway, IncidentResume, IncidentView } from '../src/model/incident';
import type { IncidentRun } from './incidentRun';

const { attributeTenantSpend, applyCostStep, restoreTenant } = proxyActivities<IncidentActivities>({
  // A few queries and a webhook post (retried for up to ~17 s): a worker that died mid-step is noticed soon.
  startToCloseTimeout: '20 seconds',
  retry: { maximumAttempts: 5, initialInterval: '1 second' },
});

/**
 * The cost-runaway playbook: attribute the tenant's spend (feature, prompt version, model, likely
 * cause), then climb the tenant's ladder, warn -> throttle -> kill, as far as its policy allows and
 * as fast as the spend says, checking every few minutes; a rung the policy reserves for a person
 * waits for `approve`. Restoring the tenant is a person's call: `resolve` lifts what this incident
 * set (nothing someone else set) and closes.
 */
export async function costRunawayPlaybook(run: IncidentRun, input: CostRunaway, resume?: IncidentResume) {
  const { policy } = input;
  const cost: NonNullable<IncidentView['cost']> = { tenant: input.tenant, rung: resume?.cost?.rung ?? 'none' };
  run.view.cost = cost;
  let rungAt = resume?.cost?.rungAt ?? Date.now();
  let declined = resume?.cost?.declined;
  if (cost.rung !== 'none') run.moveTo('mitigated');
  let investigated = resume !== undefined;
  while (run.resolution === undefined) {
    const spend = await attributeTenantSpend({ tenant: input.tenant, windowMinutes: policy.window_minutes });
    Object.assign(cost, {
      ratio: spend.ratio,
      usdPerHour: spend.usdPerHour,
      baselineUsdPerHour: spend.baselineUsdPerHour,
      cause: spend.cause,
    });
    run.show();
    if (!investigated) {
      investigated = true;
      await run.record('investigate', 'flightdeck', spendFindings(spend), { attribution: spend });
    }
    const minutesSince = (at: number) => (Date.now() - at) / 60_000;
    const step = nextCostStep(
      policy,
      {
        rung: cost.rung,
        minutesOnRung: minutesSince(rungAt),
        declined: declined && { step: declined.step, minutesAgo: minutesSince(declined.at) },
      },
      spend.ratio,
    );
    if (step) {
      const outcome =
        step !== 'warn' && policy.approval.includes(step)
          ? await run.approval(step, policy.approval_timeout_minutes, policy.on_timeout)
          : 'approved';
      if (outcome === 'resolved') break;
      if (outcome === 'approved' || (outcome === 'timed-out' && policy.on_timeout === 'proceed')) {
        const rpm = step === 'throttle' ? throttleRpm(policy, spend.baselineRequestsPerMinute) : undefined;
        await applyCostStep({
          incidentId: run.incidentId,
          tenant: input.tenant,
          step,
          throttleRpm: rpm,
          spend,
          reason: input.reason,
        });
        cost.rung = step;
        if (step !== 'warn') cost.throttleRpm = rpm;
        run.moveTo('mitigated');
        rungAt = Date.now();
        declined = undefined;
        continue; // the next rung may be due at once (a runaway past throttle_at_ratio)
      }
      declined = { step, at: Date.now() };
    }
    if (workflowInfo().continueAsNewSuggested)
      await run.continueAsNew({
        incidentId: run.incidentId,
        cost: { rung: cost.rung, rungAt, declined },
      });
    await condition(() => run.resolution !== undefined, `${input.checkEveryMinutes} minutes`);
  }
  const by = run.resolution!;
  if (cost.rung === 'throttle' || cost.rung === 'kill') {
    run.moveTo('restoring');
    await restoreTenant({
      incidentId: run.incidentId,
      tenant: input.tenant,
      actor: by.actor,
      reason: by.reason ?? 'resolved',
    });
  }
  return run.close(by);
}

function spendFindings(spend: Awaited<ReturnType<IncidentActivities['attributeTenantSpend']>>): string {
  const top = (list: Array<{ value: string; share: number }>) =>
    list.map((t) => `${t.value} ${Math.round(t.share * 100)}%`).join(', ') || 'none';
  return [
    `$${spend.usdPerHour.toFixed(2)}/h against $${spend.baselineUsdPerHour.toFixed(2)}/h usual`,
    `likely cause: ${spend.cause}`,
    `features: ${top(spend.top.feature)}`,
    `prompt versions: ${top(spend.top.version)}`,
    `models: ${top(spend.top.model)}`,
    `requests/min ${spend.requestsPerMinute.toFixed(1)} (usual ${spend.baselineRequestsPerMinute.toFixed(1)})`,
    `input tokens/request ${Math.round(spend.inputTokensPerRequest)} (usual ${Math.round(spend.baselineInputTokensPerRequest)})`,
  ].join('; ');
}
