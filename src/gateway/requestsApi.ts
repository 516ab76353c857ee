import type { Pool } from '../db/pool';
import type { Tenant } from '../tenants/tenantStore';
import type { RequestLogWriter } from '../telemetry/requestLogWriter';
import type { RequestRecord } from '../telemetry/requestRecord';
import { GatewayError, badRequest } from './gatewayError';
import { feedbackBodySchema, REQUEST_ID_PATTERN } from './requestSchemas';
import { parseBody } from './httpBody';

const notFound = (id: string) =>
  new GatewayError(
    404,
    'not_found_error',
    `No request "${id}" for this API key (requests are visible only to their own tenant)`,
    'request_not_found',
    'request_id',
  );

/** One request for triage: its row, its (redacted) bodies and its feedback, if it is the caller's. */
export async function getRequest(pool: Pool, log: RequestLogWriter, tenant: Tenant, id: string): Promise<unknown> {
  if (!REQUEST_ID_PATTERN.test(id))
    throw badRequest(
      'Expected a request id such as req_0123… (the x-flightdeck-request-id of an answer)',
      'request_id',
      'invalid_request_id',
    );
  const pending = log.pendingEntry(id);
  if (pending) {
    if (pending.record.tenant_id !== tenant.id) throw notFound(id);
    return {
      ...pending.record,
      stored: false,
      messages: pending.body?.messages ?? null,
      output: pending.body?.output ?? null,
      feedback: [],
    };
  }
  const { rows } = await pool.query<RequestRecord & { messages: unknown; output: string | null }>(
    `SELECT r.*, b.messages, b.output FROM requests r LEFT JOIN request_bodies b ON b.request_id = r.request_id
     WHERE r.request_id = $1 AND r.tenant_id = $2`,
    [id, tenant.id],
  );
  if (!rows[0]) throw notFound(id);
  const feedback = await pool.query(
    'SELECT score, comment, ts FROM feedback WHERE request_id = $1 AND tenant_id = $2 ORDER BY id',
    [id, tenant.id],
  );
  return { ...rows[0], cost_usd: Number(rows[0].cost_usd), stored: true, feedback: feedback.rows };
}

/** The caller's own request, stored or still in the writer's buffer: its time and guardrail decisions; 404 otherwise. */
export async function ownRequest(
  pool: Pool,
  log: RequestLogWriter,
  tenant: Tenant,
  id: string,
): Promise<Pick<RequestRecord, 'ts' | 'guardrails'>> {
  const pending = log.pendingEntry(id);
  const found = pending
    ? pending.record
    : (
        await pool.query<Pick<RequestRecord, 'tenant_id' | 'guardrails'> & { ts: Date }>(
          'SELECT tenant_id, ts, guardrails FROM requests WHERE request_id = $1',
          [id],
        )
      ).rows.map((row) => ({ ...row, ts: row.ts.toISOString() }))[0];
  if (!found || found.tenant_id !== tenant.id) throw notFound(id);
  return { ts: found.ts, guardrails: found.guardrails };
}

/** POST /v1/feedback: a score for one of the caller's own requests. */
export async function recordFeedback(
  pool: Pool,
  log: RequestLogWriter,
  tenant: Tenant,
  body: unknown,
): Promise<unknown> {
  const feedback = parseBody(feedbackBodySchema, body);
  await ownRequest(pool, log, tenant, feedback.request_id);
  const { rows } = await pool.query<{ id: string; ts: Date }>(
    'INSERT INTO feedback (request_id, tenant_id, score, comment) VALUES ($1, $2, $3, $4) RETURNING id, ts',
    [feedback.request_id, tenant.id, feedback.score, feedback.comment ?? null],
  );
  return { id: Number(rows[0]!.id), request_id: feedback.request_id, score: feedback.score, ts: rows[0]!.ts };
}
