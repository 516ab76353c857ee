import { getExternalWorkflowHandle, proxyActivities } from '@temporalio/workflow';
import type { DrillActivities } from '../activities/drills';
import type { ProviderKillDrill } from '../src/model/drill';
import type { DrillRun } from './drillRun';
import { resolveIncidentSignal } from './incidentMessages';

const { injectDrillFault, revertDrillFaults, drillIncident } = proxyActivities<DrillActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5, initialInterval: '1 second' },
});
const { driveDrillTraffic } = proxyActivities<DrillActivities>({
  startToCloseTimeout: '60 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { maximumAttempts: 2 },
});

const seconds = (fromMs: number, toMs: number) => Math.round(toMs - fromMs) / 1000;

/**
 * The provider kill drill: switch the model off for the synthetic tenant inside every gateway, send
 * its synthetic traffic, and check end to end that the outage watch starts the provider-outage
 * playbook, the playbook moves the tenant's calls to the backup (and nobody else's), the backup
 * serves, and once the fault is lifted the playbook's probes restore the model by themselves.
 */
export async function providerKillDrill(run: DrillRun, input: ProviderKillDrill): Promise<void> {
  const { model, backup, go } = await run.preflight(input);
  if (!go) return;

  await run.step('inject');
  const drill = run.workflowId;
  const scope = { tenant: input.tenant, model: model!, drill };
  run.onCleanup(() => revertDrillFaults({ drill, reason: `drill ${drill} ended` }));
  // The incident the fault started is the drill's too: resolved (its override undone) if still open.
  run.onCleanup(async () => {
    const incident = await drillIncident({ model: model!, tenant: input.tenant, since: 0 });
    if (incident.status && incident.status !== 'resolved')
      await getExternalWorkflowHandle(incident.workflowId)
        .signal(resolveIncidentSignal, { actor: `drill ${drill}`, reason: 'the drill ended' })
        .catch(() => undefined); // already closed
  });
  const faultMinutes = Math.min(120, Math.ceil((input.mitigateWithinSeconds + input.recoverWithinSeconds) / 60) + 5);
  const faultAt = await injectDrillFault({ ...scope, minutes: faultMinutes });
  run.check({
    name: 'fault injected',
    passed: true,
    detail: `${model} off for tenant ${input.tenant}, lapses after ${faultMinutes} min`,
  });

  await run.step('detect and mitigate');
  const [traffic, incident] = await Promise.all([
    driveDrillTraffic({
      ...scope,
      want: backup!,
      backup: backup!,
      inARow: 10,
      requestsPerSecond: input.requestsPerSecond,
      maxSeconds: input.mitigateWithinSeconds + 30,
    }),
    run.waitFor(
      () => drillIncident({ model: model!, tenant: input.tenant, since: faultAt }),
      (i) => i.mitigatedAt !== undefined,
      input.mitigateWithinSeconds,
    ),
  ]);
  const { openedAt, mitigatedAt } = incident.value;
  run.check({
    name: 'outage detected',
    passed: openedAt !== undefined && seconds(faultAt, openedAt) <= input.detectWithinSeconds,
    seconds: openedAt === undefined ? undefined : seconds(faultAt, openedAt),
    detail: openedAt === undefined ? 'no incident started' : `incident ${incident.value.workflowId} opened`,
  });
  run.check({
    name: 'mitigated',
    passed: mitigatedAt !== undefined,
    seconds: mitigatedAt === undefined ? undefined : seconds(faultAt, mitigatedAt),
    detail:
      mitigatedAt === undefined
        ? 'the playbook did not mitigate in time'
        : `tenant ${input.tenant}'s calls go to ${backup} first`,
  });
  run.check({
    name: 'fallback serves',
    passed: traffic.wantedAt !== undefined && traffic.failedAfterBackup === 0,
    seconds: traffic.wantedAt === undefined ? undefined : traffic.wantedAt / 1000,
    detail: `${traffic.failed} of ${traffic.sent} calls failed (${traffic.failedAfterBackup} after ${backup} first answered); served by ${JSON.stringify(traffic.servedBy)}`,
  });
  if (mitigatedAt === undefined) return;

  await run.step('recover');
  await revertDrillFaults({ drill, reason: 'the drill lifts its fault: the model recovers' });
  const liftedAt = Date.now();
  const closed = await run.waitFor(
    () => drillIncident({ model: model!, tenant: input.tenant, since: faultAt }),
    (i) => i.status === 'resolved',
    input.recoverWithinSeconds,
  );
  run.check({
    name: 'recovered',
    passed: closed.done && closed.value.resolvedBy === 'flightdeck',
    seconds: closed.value.resolvedAt === undefined ? undefined : seconds(liftedAt, closed.value.resolvedAt),
    detail: closed.done
      ? `the playbook restored ${model} after its probes passed (resolved by ${closed.value.resolvedBy})`
      : `the incident is still ${closed.value.status ?? 'missing'}`,
  });
  const after = await driveDrillTraffic({
    ...scope,
    want: model!,
    backup: backup!,
    inARow: 3,
    requestsPerSecond: input.requestsPerSecond,
    maxSeconds: 30,
  });
  run.check({
    name: 'model serves again',
    passed: after.wantedAt !== undefined,
    seconds: after.wantedAt === undefined ? undefined : after.wantedAt / 1000,
    detail: `served by ${JSON.stringify(after.servedBy)}`,
  });
}
