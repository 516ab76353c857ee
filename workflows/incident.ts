import {
  ApplicationFailure,
  condition,
  continueAsNew,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { IncidentActivities } from '../activities/incidents';
import { normaliseSignalAttribution, type Attribution } from '../src/model/attribution';
import {
  parseIncidentInput,
  type IncidentInput,
  type IncidentStatus,
  type IncidentView,
  type ProviderOutage,
  incidentDetails,
} from '../src/model/incident';
import { FlightdeckIncidentKind, FlightdeckIncidentStatus } from '../src/model/searchAttributes';
import { incidentStatusQuery, resolveIncidentSignal } from './incidentMessages';

const { openIncident, mitigateProviderOutage, restoreProviderRoute, recordIncidentStep } =
  proxyActivities<IncidentActivities>({
    startToCloseTimeout: '30 seconds',
    retry: { maximumAttempts: 5, initialInterval: '1 second' },
  });
const { probeModel } = proxyActivities<IncidentActivities>({
  // A probe waits 10 s at most for the model; a failed probe is an answer, not an error.
  startToCloseTimeout: '20 seconds',
  retry: { maximumAttempts: 2 },
  summary: 'probe the primary model at its provider',
});

/** Carried through continue-as-new: a long outage's probes would otherwise fill the history. */
interface Resume {
  incidentId: number;
  probes: number;
  healthyInARow: number;
}

/**
 * The provider-outage playbook (`incident/provider-outage/<key>`): open the incident, send the
 * model's calls to its backup on every gateway, probe the model at its provider until it has
 * answered `healthyProbes` times in a row, then undo the override and close. On-call's `resolve`
 * signal ends it at any point (undo included). A mitigation that fails escalates: the incident stays
 * open until a person resolves it, and never reads resolved on a failure.
 */
export async function incidentWorkflow(raw: IncidentInput, resume?: Resume): Promise<IncidentView> {
  let input: ProviderOutage;
  try {
    input = parseIncidentInput(raw);
  } catch (error) {
    throw ApplicationFailure.nonRetryable((error as Error).message); // a bad start is not retried
  }
  const view: IncidentView = {
    incidentId: resume?.incidentId,
    kind: input.kind,
    key: input.key,
    status: resume ? 'mitigated' : 'mitigating',
    model: input.model,
    backup: input.backup,
    probes: resume?.probes ?? 0,
    healthyInARow: resume?.healthyInARow ?? 0,
    healthyProbes: input.healthyProbes,
  };
  let resolution: Attribution | undefined;
  setHandler(incidentStatusQuery, () => view);
  setHandler(resolveIncidentSignal, (payload) => {
    resolution ??= normaliseSignalAttribution(payload);
  });
  /** The status everywhere it shows: the query, the Temporal UI's list (search attribute) and details. */
  const moveTo = (status: IncidentStatus) => {
    view.status = status;
    upsertSearchAttributes([{ key: FlightdeckIncidentStatus, value: status }]);
    show();
  };
  const show = () => setCurrentDetails(incidentDetails(view));

  const incidentId =
    resume?.incidentId ??
    (await openIncident({
      kind: input.kind,
      key: input.key,
      reason: input.reason,
      actor: input.actor,
      alertKey: input.alertKey,
    }));
  view.incidentId = incidentId;
  upsertSearchAttributes([{ key: FlightdeckIncidentKind, value: input.kind }]);
  if (!resume) {
    moveTo('mitigating');
    try {
      await mitigateProviderOutage({
        incidentId,
        model: input.model,
        backup: input.backup,
        actor: input.actor,
        reason: input.reason,
      });
      moveTo('mitigated');
    } catch (error) {
      view.failure = (error as Error).message;
      moveTo('escalated');
      await recordIncidentStep({
        incidentId,
        step: 'escalate',
        actor: 'flightdeck',
        message: `the mitigation failed (${view.failure}); the incident stays open until on-call resolves it`,
        status: 'escalated',
      });
      await condition(() => resolution !== undefined);
      // Whatever part of the mitigation took hold is undone (only this incident's override is cleared).
      await restoreProviderRoute({
        incidentId,
        model: input.model,
        actor: resolution!.actor,
        reason: 'resolved by hand',
      });
      return close(incidentId, view, resolution!);
    }
  } else moveTo('mitigated');
  while (resolution === undefined && view.healthyInARow < input.healthyProbes) {
    if (workflowInfo().continueAsNewSuggested)
      await continueAsNew<typeof incidentWorkflow>(raw, {
        incidentId,
        probes: view.probes,
        healthyInARow: view.healthyInARow,
      });
    if (await condition(() => resolution !== undefined, `${input.probeEverySeconds} seconds`)) break;
    const probe = await probeModel({ model: input.model });
    view.probes += 1;
    view.healthyInARow = probe.ok ? view.healthyInARow + 1 : 0;
    show();
  }
  moveTo('restoring');
  const by = resolution ?? {
    actor: 'flightdeck',
    reason: `${input.model} answered ${input.healthyProbes} probes in a row`,
  };
  await restoreProviderRoute({ incidentId, model: input.model, actor: by.actor, reason: by.reason ?? 'resolved' });
  return close(incidentId, view, by);
}

async function close(incidentId: number, view: IncidentView, by: Attribution): Promise<IncidentView> {
  await recordIncidentStep({
    incidentId,
    step: 'close',
    actor: by.actor,
    message: by.reason ?? 'resolved',
    status: 'resolved',
  });
  view.status = 'resolved';
  view.resolvedBy = by.actor;
  upsertSearchAttributes([{ key: FlightdeckIncidentStatus, value: 'resolved' }]);
  setCurrentDetails(`**Incident resolved** by ${by.actor}${by.reason ? `: ${by.reason}` : ''}`);
  return view;
}
