import { createHash } from 'node:crypto';
import { recordAudit } from '../audit/auditLog';
import { withTransaction, type Pool } from '../db/pool';
import type { StoredGuardrail } from '../guardrails/decision';

/**
 * Which requests a security finding touched, within its tenant and prompt: those named, and those a
 * guardrail acted on in the window.
 */
export interface AffectedScope {
  tenant?: string;
  prompt?: string;
  requestIds: string[];
  sinceMinutes: number;
}

/**
 * One affected request in the evidence bundle: enough to find its trace and prove what its stored body
 * was (a digest) after the body is purged.
 */
export interface AffectedRequest {
  requestId: string;
  at: string;
  tenant: string | null;
  prompt: string | null;
  version: string | null;
  model: string | null;
  status: number;
  traceId: string | null;
  guardrails: StoredGuardrail[];
  /** sha256 and length of the stored messages and output; null once purged or never stored. */
  body: { sha256: string; chars: number } | null;
}

/** The bundle is a record, not a dump: past this many requests it says how many more there were. */
export const MAX_AFFECTED = 1000;

/**
 * The requests a finding touched, newest first (at most MAX_AFFECTED), with their bodies' digests:
 * the named requests, plus the scope's requests of the window a guardrail flagged, redacted or blocked.
 */
export async function affectedRequests(
  pool: Pool,
  scope: AffectedScope,
): Promise<{ requests: AffectedRequest[]; more: number }> {
  const { rows } = await pool.query<{
    request_id: string;
    ts: Date;
    tenant_id: string | null;
    prompt_name: string | null;
    prompt_version: string | null;
    model: string | null;
    status: number;
    trace_id: string | null;
    guardrails: StoredGuardrail[];
    messages: unknown;
    output: string | null;
    total: string;
  }>(
    `SELECT r.request_id, r.ts, r.tenant_id, r.prompt_name, r.prompt_version, r.model, r.status, r.trace_id,
            r.guardrails, b.messages, b.output, count(*) OVER () AS total
     FROM requests r
     LEFT JOIN request_bodies b ON b.request_id = r.request_id AND b.ts = r.ts
     -- Only the scope's requests, named ones included: a mistyped id never reaches another tenant's body.
     WHERE ($3::text IS NULL OR r.tenant_id = $3) AND ($4::text IS NULL OR r.prompt_name = $4)
       AND (r.request_id = ANY($1::text[])
            OR (r.ts >= now() - $2 * interval '1 minute' AND r.guardrail_decision <> 'allow'))
     ORDER BY r.ts DESC LIMIT $5`,
    [scope.requestIds, scope.sinceMinutes, scope.tenant ?? null, scope.prompt ?? null, MAX_AFFECTED],
  );
  const requests = rows.map((row) => {
    const stored = row.messages === null ? null : JSON.stringify({ messages: row.messages, output: row.output });
    return {
      requestId: row.request_id,
      at: row.ts.toISOString(),
      tenant: row.tenant_id,
      prompt: row.prompt_name,
      version: row.prompt_version,
      model: row.model,
      status: row.status,
      traceId: row.trace_id,
      guardrails: row.guardrails,
      body:
        stored === null ? null : { sha256: createHash('sha256').update(stored).digest('hex'), chars: stored.length },
    };
  });
  return { requests, more: rows.length ? Number(rows[0]!.total) - rows.length : 0 };
}

/**
 * Delete the stored bodies (messages and output) of these requests; their log rows stay, so the
 * metrics and traces still add up. Idempotent; audited once with the count. Returns how many went.
 */
export async function purgeBodies(
  pool: Pool,
  input: { requests: Array<{ requestId: string; at: string }>; actor: string; reason: string; subject: string },
): Promise<number> {
  if (!input.requests.length) return 0;
  return withTransaction(pool, async (client) => {
    const { rowCount } = await client.query(
      `DELETE FROM request_bodies b USING unnest($1::text[], $2::timestamptz[]) AS a(request_id, ts)
       -- The evidence keeps times to the millisecond; Postgres to the microsecond.
       WHERE b.request_id = a.request_id AND b.ts >= a.ts AND b.ts < a.ts + interval '1 millisecond'`,
      [input.requests.map((r) => r.requestId), input.requests.map((r) => r.at)],
    );
    const purged = rowCount ?? 0;
    if (purged)
      await recordAudit(client, {
        actor: input.actor,
        action: 'request.purge',
        subject: input.subject,
        toValue: `${purged} bodies`,
        reason: input.reason,
        details: { requestIds: input.requests.map((r) => r.requestId) },
      });
    return purged;
  });
}
