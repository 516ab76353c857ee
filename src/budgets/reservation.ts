import { z } from 'zod';
import type { Pool } from '../db/pool';

const verdictSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), soft: z.array(z.string()) }),
  z.object({
    ok: z.literal(false),
    scope: z.string(),
    limit: z.enum(['rpm', 'usd_day']),
    onHard: z.enum(['reject', 'downgrade']),
    downgradeModel: z.string().nullable(),
    retryAfterS: z.number(),
  }),
]);
export type BudgetVerdict = z.infer<typeof verdictSchema>;

/**
 * Count one request and hold its estimated cost against every limit of the tenant and feature,
 * atomically in Postgres, so several gateways share the limits. A refusal touches nothing.
 */
export async function reserveBudget(pool: Pool, tenantId: string, feature: string, estimateUsd: number, now: Date = new Date()): Promise<BudgetVerdict> {
  const { rows } = await pool.query<{ verdict: unknown }>('SELECT budget_reserve($1, $2, $3, $4) AS verdict', [tenantId, feature, estimateUsd, now]);
  return verdictSchema.parse(rows[0]!.verdict);
}

/** What a served request settles: its real cost replaces the estimate it held. */
export interface Settlement {
  tenantId: string;
  feature: string;
  day: Date;
  reservedUsd: number;
  actualUsd: number;
}

/**
 * Settle many requests in one statement (from the request-log writer's batch). Grouped by target
 * row first: an UPDATE … FROM applies only one source row per target row.
 */
export async function settleBudgets(db: Pick<Pool, 'query'>, settlements: Settlement[]): Promise<void> {
  if (!settlements.length) return;
  await db.query(
    `UPDATE budget_usage u SET spent_usd = u.spent_usd + s.actual, reserved_usd = greatest(0, u.reserved_usd - s.reserved)
     FROM (
       SELECT t.tenant, sc.feature, date_trunc('day', t.day) AS day, sum(t.actual) AS actual, sum(t.reserved) AS reserved
       FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::numeric[], $5::numeric[]) AS t(tenant, feature, day, actual, reserved)
       CROSS JOIN LATERAL (SELECT DISTINCT f FROM (VALUES (''), (t.feature)) v(f)) sc(feature)
       GROUP BY 1, 2, 3
     ) s
     WHERE u.tenant_id = s.tenant AND u.feature = s.feature AND u.window_kind = 'day' AND u.window_start = s.day`,
    [
      settlements.map((s) => s.tenantId),
      settlements.map((s) => s.feature),
      settlements.map((s) => s.day),
      settlements.map((s) => s.actualUsd),
      settlements.map((s) => s.reservedUsd),
    ],
  );
}
