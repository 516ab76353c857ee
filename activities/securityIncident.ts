import type { Pool } from '../src/db/pool';
import {
  affectedRequests,
  purgeBodies,
  type AffectedRequest,
  type AffectedScope,
} from '../src/incidents/securityEvidence';
import { applyTenantStep, restoreTenantFromIncident } from '../src/incidents/tenantMitigation';
import type { AlertWebhook } from '../src/monitoring/alertWebhook';
import { disablePrompt, enablePrompt } from '../src/registry/promptKillSwitch';
import { revokePreviousKey, rotateTenantKey, type KeyRotation } from '../src/tenants/tenantStore';
import { callingWorkflow, incidentStepRecorder } from './incidents';

/** What a security incident's kill switch turns off. */
export type KillTarget = { target: 'tenant'; tenant: string } | { target: 'prompt'; prompt: string };

/**
 * The security playbook's activities. Each is safe to repeat: the kill switch and its undo are
 * marked with the incident, the evidence is written once, a purge of bodies already gone deletes
 * nothing, and a rotation to the same new key changes nothing the second time.
 */
export function createSecurityIncidentActivities(pool: Pool, webhook?: AlertWebhook) {
  const step = incidentStepRecorder(pool, webhook);
  const marked = (reason: string) => `${callingWorkflow().workflowId}: ${reason}`;

  /** The evidence step's requests, as the timeline keeps them (the purge works from exactly these). */
  async function evidenceOf(incidentId: number): Promise<AffectedRequest[]> {
    const { rows } = await pool.query<{ requests: AffectedRequest[] | null }>(
      `SELECT details->'requests' AS requests FROM incident_events WHERE incident_id = $1 AND step = 'evidence'`,
      [incidentId],
    );
    return rows[0]?.requests ?? [];
  }

  return {
    /** Refuse every request of the tenant or the prompt until the incident resolves. */
    async switchOff(input: KillTarget & { incidentId: number; reason: string }): Promise<void> {
      const incident = callingWorkflow().workflowId;
      const name = input.target === 'tenant' ? input.tenant : input.prompt;
      // A tenant is always held by this incident after its step; a prompt someone switched off first stays theirs.
      let taken = true;
      if (input.target === 'tenant')
        await applyTenantStep(pool, { tenant: input.tenant, step: 'kill', incident, reason: input.reason });
      else
        taken = (await disablePrompt(pool, { prompt: input.prompt, reason: marked(input.reason), actor: incident }))
          .changed;
      await step(input.incidentId, {
        step: 'kill switch',
        actor: 'flightdeck',
        message: taken
          ? `${input.target} ${name} switched off: every request refused (403) on every gateway`
          : `${input.target} ${name} was already switched off by someone else: left as it is (resolve will not lift it)`,
        status: 'mitigating',
      });
    },

    /** The undo, by the person who resolved the incident: only a switch this incident turned on is lifted. */
    async switchOn(input: KillTarget & { incidentId: number; actor: string; reason: string }): Promise<void> {
      const incident = callingWorkflow().workflowId;
      const name = input.target === 'tenant' ? input.tenant : input.prompt;
      const lifted =
        input.target === 'tenant'
          ? await restoreTenantFromIncident(pool, { ...input, incident })
          : (
              await enablePrompt(pool, {
                prompt: input.prompt,
                actor: input.actor,
                reason: `${incident} resolved: ${input.reason}`,
                onlyIfReasonStartsWith: `${incident}: `,
              })
            ).changed;
      await step(input.incidentId, {
        step: 'restore',
        actor: input.actor,
        message: lifted
          ? `${input.target} ${name} served again: ${input.reason}`
          : `${input.target} ${name} left as it is (its switch is no longer this incident's)`,
        status: 'restoring',
      });
    },

    /** The evidence bundle's core: the affected requests, each with its trace and its body's digest. */
    async collectSecurityEvidence(
      input: AffectedScope & { incidentId: number },
    ): Promise<{ affected: number; withBodies: number }> {
      const { requests, more } = await affectedRequests(pool, input);
      const withBodies = requests.filter((r) => r.body).length;
      await step(input.incidentId, {
        step: 'evidence',
        actor: 'flightdeck',
        message: `${requests.length + more} affected request(s)${more ? ` (the newest ${requests.length} kept)` : ''}, ${withBodies} with stored bodies; \`flightdeck incident bundle\` writes the bundle`,
        status: 'mitigating',
        details: { requests, more },
      });
      return { affected: requests.length + more, withBodies };
    },

    /**
     * Delete the stored bodies of the requests in the evidence (their digests stay there). Returns how
     * many of the bodies the evidence saw are gone: the same on a retry, whichever attempt deleted them.
     */
    async purgeAffectedBodies(input: { incidentId: number; subject: string; reason: string }): Promise<number> {
      const requests = await evidenceOf(input.incidentId);
      const stored = requests.filter((r) => r.body);
      await purgeBodies(pool, {
        requests: stored,
        actor: callingWorkflow().workflowId,
        reason: input.reason,
        subject: input.subject,
      });
      await step(input.incidentId, {
        step: 'purge',
        actor: 'flightdeck',
        message: `stored bodies of ${stored.length} affected request(s) purged; their log rows and digests stay`,
        status: 'mitigating',
      });
      return stored.length;
    },

    /** The tenant's new key (made by the person who approved: only its hash comes here); the old one works until the overlap closes. */
    async rotateKey(
      input: KeyRotation & { incidentId: number },
    ): Promise<{ previousKeyHash: string | null; until: string | null }> {
      const rotated = await rotateTenantKey(pool, { ...input, reason: marked(input.reason) });
      const until = rotated.expiresAt?.toISOString() ?? null;
      await step(input.incidentId, {
        step: 'rotate key',
        actor: input.actor,
        message: `${input.tenant}'s key rotated to ${input.newKeyPrefix}...; the old key ${until ? `works until ${until}` : 'was revoked at once'}`,
        status: 'mitigated',
      });
      return { previousKeyHash: rotated.previousKeyHash, until };
    },

    /** The overlap is over: the old key is forgotten (the gateway already refuses it past its time). */
    async revokeOldKey(input: { incidentId: number; tenant: string; keyHash: string }): Promise<void> {
      const revoked = await revokePreviousKey(pool, {
        ...input,
        actor: callingWorkflow().workflowId,
        reason: marked('the rotation overlap closed'),
      });
      await step(input.incidentId, {
        step: 'revoke old key',
        actor: 'flightdeck',
        message: revoked
          ? `${input.tenant}'s old key revoked: the overlap closed`
          : `${input.tenant}'s old key was already gone (rotated again or revoked)`,
        status: 'mitigated',
      });
    },
  };
}

export type SecurityIncidentActivities = ReturnType<typeof createSecurityIncidentActivities>;
