import type { Pool } from '../db/pool';
import type { Tenant } from '../tenants/tenantStore';
import type { RequestLogWriter } from '../telemetry/requestLogWriter';
import { badRequest } from './gatewayError';
import { parseBody } from './httpBody';
import { ownRequest } from './requestsApi';
import { appealBodySchema } from './requestSchemas';

export interface AppealAnswer {
  id: number;
  request_id: string;
  guardrail: string;
  /** False when this block was appealed before: an appeal counts once. */
  created: boolean;
  ts: Date;
}

/**
 * POST /v1/guardrails/appeals: the caller marks a block of one of its own requests as wrong. Only a
 * guardrail that did block that request can be appealed, once; appeals per block are the
 * guardrail's false-positive rate (the guardrail-false-positives monitor).
 */
export async function appealBlock(
  pool: Pool,
  log: RequestLogWriter,
  tenant: Tenant,
  body: unknown,
): Promise<AppealAnswer> {
  const appeal = parseBody(appealBodySchema, body);
  const request = await ownRequest(pool, log, tenant, appeal.request_id);
  // The refusal's error.param names the guardrail; an output policy rule is stored under output.policy with its id in the detail.
  const block = request.guardrails.find(
    (g) => g.decision === 'block' && (g.id === appeal.guardrail || g.detail?.startsWith(`${appeal.guardrail}:`)),
  );
  if (!block) {
    const blocked = request.guardrails.filter((g) => g.decision === 'block').map((g) => g.id);
    throw badRequest(
      `Guardrail "${appeal.guardrail}" did not block request ${appeal.request_id} (${blocked.length ? `blocked by: ${blocked.join(', ')}` : 'nothing blocked it'}); appeal the guardrail named in the refusal's error.param`,
      'guardrail',
      'not_blocked',
    );
  }
  const inserted = await pool.query<{ id: string; ts: Date }>(
    `INSERT INTO guardrail_appeals (request_id, request_ts, tenant_id, guardrail, reason) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (request_id, guardrail) DO NOTHING RETURNING id, ts`,
    [appeal.request_id, request.ts, tenant.id, block.id, appeal.reason],
  );
  const row =
    inserted.rows[0] ??
    (
      await pool.query<{ id: string; ts: Date }>(
        'SELECT id, ts FROM guardrail_appeals WHERE request_id = $1 AND guardrail = $2',
        [appeal.request_id, block.id],
      )
    ).rows[0]!;
  return {
    id: Number(row.id),
    request_id: appeal.request_id,
    guardrail: block.id,
    created: !!inserted.rows[0],
    ts: row.ts,
  };
}
