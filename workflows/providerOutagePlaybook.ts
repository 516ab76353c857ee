import { condition, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { IncidentActivities } from '../activities/incidents';
import type { IncidentResume, IncidentView, ProviderOutage } from '../src/model/incident';
import type { IncidentRun } from './incidentRun';

const { mitigateProviderOutage, restoreProviderRoute, investigateModel } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5, initialInterval: '1 second' },
});
const { probeModel } = proxyActivities<IncidentActivities>({
  // A probe waits 10 s at most for the model; a failed probe is an answer, not an error.
  startToCloseTimeout: '20 seconds',
  retry: { maximumAttempts: 2 },
  summary: 'probe the primary model at its provider',
});

/**
 * The provider-outage playbook: send the model's calls to its backup on every gateway, probe the
 * model at its provider until it has answered `healthyProbes` times in a row (each within
 * `slowProbeMs`: a latency spike moves calls the same way), then undo the
 * override and close. `resolve` ends it at any point (undo included). A mitigation that fails
 * escalates: the incident stays open until a person resolves it, and never reads resolved on a failure.
 */
export async function providerOutagePlaybook(run: IncidentRun, input: ProviderOutage, resume?: IncidentResume) {
  // How the model's calls are helped meanwhile: its backup first, or its answers capped.
  const helped = input.mitigation === 'fallback' ? { backup: input.backup } : { maxTokens: input.maxTokens };
  const outage: NonNullable<IncidentView['outage']> = (run.view.outage = {
    model: input.model,
    ...helped,
    probes: resume?.outage?.probes ?? 0,
    healthyInARow: resume?.outage?.healthyInARow ?? 0,
    healthyProbes: input.healthyProbes,
  });
  if (!resume) {
    run.moveTo('mitigating');
    try {
      await mitigateProviderOutage({
        incidentId: run.incidentId,
        model: input.model,
        tenant: input.tenant,
        ...helped,
        actor: input.actor,
        reason: input.reason,
      });
      run.moveTo('mitigated');
    } catch (error) {
      run.view.failure = (error as Error).message;
      const by = await run.escalateUntilResolved(`the mitigation failed (${run.view.failure})`);
      // Whatever part of the mitigation took hold is undone (only this incident's override is cleared).
      await restoreProviderRoute({
        incidentId: run.incidentId,
        model: input.model,
        tenant: input.tenant,
        actor: by.actor,
        reason: 'resolved by hand',
      });
      return run.close(by);
    }
    // Runs from this version on; histories recorded before it replay without it.
    if (patched('outage-investigation'))
      outage.cause = await investigateModel({ incidentId: run.incidentId, model: input.model }).catch(
        () => 'unclear (the investigation failed)', // evidence is a help, not a step the mitigation needs
      );
    run.show();
  } else run.moveTo('mitigated');
  while (run.resolution === undefined && outage.healthyInARow < input.healthyProbes) {
    if (workflowInfo().continueAsNewSuggested)
      await run.continueAsNew({
        incidentId: run.incidentId,
        outage: { probes: outage.probes, healthyInARow: outage.healthyInARow },
      });
    if (await condition(() => run.resolution !== undefined, `${input.probeEverySeconds} seconds`)) break;
    const probe = await probeModel({ model: input.model, tenant: input.tenant });
    outage.probes += 1;
    outage.healthyInARow = probe.ok && probe.ms <= input.slowProbeMs ? outage.healthyInARow + 1 : 0;
    run.show();
  }
  run.moveTo('restoring');
  const by = run.resolution ?? {
    actor: 'flightdeck',
    reason: `${input.model} answered ${input.healthyProbes} probes in a row`,
  };
  await restoreProviderRoute({
    incidentId: run.incidentId,
    model: input.model,
    tenant: input.tenant,
    actor: by.actor,
    reason: by.reason ?? 'resolved',
  });
  return run.close(by);
}
