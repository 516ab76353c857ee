import { ActivityFailure, condition, proxyActivities } from '@temporalio/workflow';
import type { KillTarget, SecurityIncidentActivities } from '../activities/securityIncident';
import type { IncidentView, Security } from '../src/model/incident';
import type { IncidentRun } from './incidentRun';

const { switchOff, switchOn, collectSecurityEvidence, purgeAffectedBodies, rotateKey, revokeOldKey } =
  proxyActivities<SecurityIncidentActivities>({
    // A few queries and a webhook post: a worker that died mid-step is noticed soon.
    startToCloseTimeout: '20 seconds',
    retry: { maximumAttempts: 5, initialInterval: '1 second' },
  });

type SecurityState = NonNullable<IncidentView['security']>;

/**
 * The security playbook (an injection that succeeded, PII in an answer, a leaked key): switch off the
 * tenant or the prompt, keep the evidence (each affected request with its trace and its body's
 * digest), purge the affected bodies, and for a leaked key wait for a person to rotate it (the new
 * key is made where they are and printed once: only its hash reaches this history), then revoke the
 * old key when its overlap closes. Serving again is a person's call: `resolve` lifts the switch. A
 * step that fails escalates: the incident stays open until a person resolves it.
 */
export async function securityPlaybook(run: IncidentRun, input: Security): Promise<IncidentView> {
  const security: SecurityState = {
    finding: input.finding,
    tenant: input.tenant,
    prompt: input.prompt,
    killSwitch: input.killSwitch,
  };
  run.view.security = security;
  run.moveTo('mitigating');
  const target: KillTarget | undefined =
    input.killSwitch === 'tenant'
      ? { target: 'tenant', tenant: input.tenant! }
      : input.killSwitch === 'prompt'
        ? { target: 'prompt', prompt: input.prompt! }
        : undefined;
  // Set before the switch is pulled: a switch that took hold before its step failed is undone too
  // (the undo lifts only what this incident set, so undoing one that never took hold changes nothing).
  const switched = { tried: false };
  try {
    await mitigate(run, input, security, target, switched);
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    await run.escalateFailure(error, (failure) => `the mitigation failed (${failure})`);
  }
  await condition(() => run.resolution !== undefined);
  const by = run.resolution!;
  if (target && switched.tried) {
    run.moveTo('restoring');
    await switchOn({ ...target, incidentId: run.incidentId, actor: by.actor, reason: by.reason ?? 'resolved' });
    security.killed = false;
  }
  return run.close(by);
}

/** Switch off, keep the evidence, purge, rotate: each step as far as the policy allows and until resolved. */
async function mitigate(
  run: IncidentRun,
  input: Security,
  security: SecurityState,
  target: KillTarget | undefined,
  switched: { tried: boolean },
): Promise<void> {
  /** A step the policy may reserve for a person: whether to take it, undefined once resolved meanwhile. */
  const allowed = async (step: 'kill' | 'purge') => {
    if (!input.approval.includes(step)) return true;
    const outcome = await run.approval(step, input.approvalTimeoutMinutes, 'proceed');
    return outcome === 'resolved' ? undefined : outcome !== 'refused';
  };

  if (target) {
    const go = await allowed('kill');
    if (go === undefined) return;
    if (go) {
      switched.tried = true;
      await switchOff({ ...target, incidentId: run.incidentId, reason: input.reason });
      security.killed = true;
      run.show();
    }
  }

  const evidence = await collectSecurityEvidence({
    incidentId: run.incidentId,
    tenant: input.tenant,
    prompt: input.prompt,
    requestIds: input.requestIds,
    sinceMinutes: input.sinceMinutes,
  });
  security.affected = evidence.affected;
  run.show();
  if (input.purge && evidence.withBodies > 0) {
    const go = await allowed('purge');
    if (go === undefined) return;
    if (go)
      security.purged = await purgeAffectedBodies({
        incidentId: run.incidentId,
        subject: input.tenant ?? input.prompt!,
        reason: input.reason,
      });
    run.show();
  }
  run.moveTo('mitigated');
  if (!input.rotateKey) return;

  const outcome = await run.approval('rotate-key', input.approvalTimeoutMinutes, 'skip');
  if (outcome === 'resolved') return;
  if (outcome !== 'approved') {
    await run.escalateUntilResolved(
      `${input.tenant}'s key was not rotated: rotate it with \`flightdeck tenant rotate-key ${input.tenant}\``,
    );
    return;
  }
  const answer = run.approved!;
  const rotated = await rotateKey({
    incidentId: run.incidentId,
    tenant: input.tenant!,
    newKeyHash: answer.newKeyHash!,
    newKeyPrefix: answer.newKeyPrefix!,
    overlapMinutes: input.overlapMinutes,
    actor: answer.actor,
    reason: input.reason,
  });
  security.newKeyPrefix = answer.newKeyPrefix;
  security.oldKeyUntil = rotated.until ?? undefined;
  security.oldKeyRevoked = rotated.previousKeyHash === null;
  run.show();
  if (!rotated.previousKeyHash || !rotated.until) return;
  // Resolved sooner, the old key still stops at its time: the gateway checks it on every request.
  const overlapMs = Math.max(0, Date.parse(rotated.until) - Date.now());
  if (await condition(() => run.resolution !== undefined, overlapMs)) return;
  await revokeOldKey({ incidentId: run.incidentId, tenant: input.tenant!, keyHash: rotated.previousKeyHash });
  security.oldKeyRevoked = true;
  run.show();
}
