import type { Pool } from '../db/pool';
import { wilson } from './detectors';

export interface GuardrailReportQuery {
  sinceDays: number;
  tenant?: string;
  perTenant: boolean;
  includeSynthetic: boolean;
  now: Date;
}

/** One guardrail (per tenant when asked) over the period: how often it acts, how often wrongly, how long it takes. */
export interface GuardrailLine {
  guardrail: string;
  tenant: string | null;
  evaluated: number;
  flagged: number;
  redacted: number;
  blocked: number;
  blockRate: number;
  /** 95% Wilson interval of the block rate. */
  blockRateInterval: { low: number; high: number };
  appeals: number;
  /** Appealed blocks per block, with its interval: null when nothing was blocked. */
  falsePositiveRate: number | null;
  falsePositiveInterval: { low: number; high: number } | null;
  p50Ms: number;
  p99Ms: number;
}

export interface GuardrailReport {
  from: string;
  until: string;
  lines: GuardrailLine[];
}

interface Row {
  guardrail: string;
  tenant_id: string | null;
  evaluated: number;
  flagged: number;
  redacted: number;
  blocked: number;
  p50: number;
  p99: number;
}

/**
 * Each guardrail's decisions, block rate, appeals (the false-positive rate) and latency over the
 * last `sinceDays` days, read from the request rows (an on-demand report, not a per-minute query).
 */
export async function guardrailReport(pool: Pool, query: GuardrailReportQuery): Promise<GuardrailReport> {
  const from = new Date(query.now.getTime() - query.sinceDays * 86_400_000);
  const params: unknown[] = [from, query.now];
  const tenantParam = query.tenant ? `$${params.push(query.tenant)}` : undefined;
  const tenantColumn = query.perTenant ? 'tenant_id' : 'NULL::text AS tenant_id';
  const group = query.perTenant ? 'GROUP BY guardrail, tenant_id' : 'GROUP BY guardrail';
  const { rows } = await pool.query<Row>(
    `WITH decisions AS (
       SELECT r.tenant_id, g->>'id' AS guardrail, g->>'decision' AS decision, (g->>'ms')::float8 AS ms
       FROM requests r, jsonb_array_elements(r.guardrails) g
       WHERE r.ts >= $1 AND r.ts < $2 ${query.includeSynthetic ? '' : 'AND NOT r.synthetic'} ${tenantParam ? `AND r.tenant_id = ${tenantParam}` : ''})
     SELECT guardrail, ${tenantColumn}, count(*)::int AS evaluated,
       count(*) FILTER (WHERE decision = 'flag')::int AS flagged,
       count(*) FILTER (WHERE decision = 'redact')::int AS redacted,
       count(*) FILTER (WHERE decision = 'block')::int AS blocked,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
       percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99
     FROM decisions ${group} ORDER BY guardrail, tenant_id`,
    params,
  );
  const appealRows = await pool.query<{ guardrail: string; tenant_id: string | null; appeals: number }>(
    `SELECT guardrail, ${tenantColumn}, count(*)::int AS appeals FROM guardrail_appeals a
     WHERE request_ts >= $1 AND request_ts < $2 ${tenantParam ? `AND tenant_id = ${tenantParam}` : ''}
       ${query.includeSynthetic ? '' : `AND NOT EXISTS (SELECT 1 FROM tenants t WHERE t.id = a.tenant_id AND t.kind = 'synthetic')`}
     ${group}`,
    params,
  );
  const appeals = new Map(appealRows.rows.map((row) => [`${row.guardrail}|${row.tenant_id}`, row.appeals]));
  return {
    from: from.toISOString(),
    until: query.now.toISOString(),
    lines: rows.map((row) => {
      const appealed = appeals.get(`${row.guardrail}|${row.tenant_id}`) ?? 0;
      return {
        guardrail: row.guardrail,
        tenant: row.tenant_id,
        evaluated: row.evaluated,
        flagged: row.flagged,
        redacted: row.redacted,
        blocked: row.blocked,
        blockRate: row.blocked / row.evaluated,
        blockRateInterval: wilson(row.blocked, row.evaluated),
        appeals: appealed,
        falsePositiveRate: row.blocked ? appealed / row.blocked : null,
        falsePositiveInterval: row.blocked ? wilson(appealed, row.blocked) : null,
        p50Ms: Number(row.p50),
        p99Ms: Number(row.p99),
      };
    }),
  };
}

export interface AppealLine {
  id: number;
  ts: Date;
  tenant: string;
  requestId: string;
  guardrail: string;
  reason: string;
}

/** The appeals of the period, newest first, for whoever tunes the guardrails. */
export async function listAppeals(
  pool: Pool,
  query: Pick<GuardrailReportQuery, 'sinceDays' | 'tenant' | 'now'> & { limit: number },
): Promise<AppealLine[]> {
  const params: unknown[] = [new Date(query.now.getTime() - query.sinceDays * 86_400_000), query.limit];
  const { rows } = await pool.query<{
    id: string;
    ts: Date;
    tenant_id: string;
    request_id: string;
    guardrail: string;
    reason: string;
  }>(
    `SELECT id, ts, tenant_id, request_id, guardrail, reason FROM guardrail_appeals
     WHERE ts >= $1 ${query.tenant ? `AND tenant_id = $${params.push(query.tenant)}` : ''}
     ORDER BY ts DESC, id DESC LIMIT $2`,
    params,
  );
  return rows.map((row) => ({
    id: Number(row.id),
    ts: row.ts,
    tenant: row.tenant_id,
    requestId: row.request_id,
    guardrail: row.guardrail,
    reason: row.reason,
  }));
}
