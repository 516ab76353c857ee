import { recordAudit } from '../audit/auditLog';
import { withTransaction, type Pool } from '../db/pool';
import { InputError, NotFoundError } from '../errors';
import { TENANTS_CHANNEL } from '../tenants/tenantStore';

export interface BudgetLimits {
  tenantId: string;
  /** '' is the whole tenant; anything else one feature of it. */
  feature: string;
  rpmSoft?: number;
  rpmHard?: number;
  usdDaySoft?: number;
  usdDayHard?: number;
  onHard: 'reject' | 'downgrade';
  downgradeModel?: string;
}

/** Set (replace) the limits of one scope, audited; gateways pick them up through NOTIFY. */
export async function setBudget(pool: Pool, limits: BudgetLimits, actor: string): Promise<void> {
  if (limits.onHard === 'downgrade' && !limits.downgradeModel)
    throw new InputError('--on-hard downgrade needs --downgrade-model <model>');
  for (const [soft, hard, name] of [
    [limits.rpmSoft, limits.rpmHard, 'requests/minute'],
    [limits.usdDaySoft, limits.usdDayHard, 'USD/day'],
  ] as const) {
    if (soft !== undefined && hard !== undefined && soft > hard)
      throw new InputError(
        `the soft limit of ${soft} ${name} is above the hard limit of ${hard}; the soft one warns first`,
      );
  }
  await withTransaction(pool, async (client) => {
    const tenant = await client.query('SELECT 1 FROM tenants WHERE id = $1', [limits.tenantId]);
    if (!tenant.rowCount)
      throw new NotFoundError(`No tenant "${limits.tenantId}". Run \`flightdeck tenant list\` to see tenants.`);
    await client.query(
      `INSERT INTO budgets (tenant_id, feature, rpm_soft, rpm_hard, usd_day_soft, usd_day_hard, on_hard, downgrade_model)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (tenant_id, feature) DO UPDATE SET rpm_soft = $3, rpm_hard = $4, usd_day_soft = $5, usd_day_hard = $6, on_hard = $7, downgrade_model = $8`,
      [
        limits.tenantId,
        limits.feature,
        limits.rpmSoft ?? null,
        limits.rpmHard ?? null,
        limits.usdDaySoft ?? null,
        limits.usdDayHard ?? null,
        limits.onHard,
        limits.downgradeModel ?? null,
      ],
    );
    await recordAudit(client, { actor, action: 'budget.set', subject: limits.tenantId, details: limits });
    await client.query('SELECT pg_notify($1, $2)', [TENANTS_CHANNEL, limits.tenantId]);
  });
}

/** The hard limits of one budget scope, as the gateway keeps them in memory. */
export interface HardLimits {
  feature: string;
  rpmHard?: number;
  usdDayHard?: number;
}

/** Tenants that have any limit, with their hard limits: only their requests reserve budget. */
export async function budgetedTenants(pool: Pool): Promise<Map<string, HardLimits[]>> {
  const { rows } = await pool.query<{
    tenant_id: string;
    feature: string;
    rpm_hard: number | null;
    usd_day_hard: string | null;
  }>('SELECT tenant_id, feature, rpm_hard, usd_day_hard FROM budgets');
  const byTenant = new Map<string, HardLimits[]>();
  for (const row of rows) {
    const scopes = byTenant.get(row.tenant_id) ?? [];
    scopes.push({
      feature: row.feature,
      rpmHard: row.rpm_hard ?? undefined,
      usdDayHard: row.usd_day_hard === null ? undefined : Number(row.usd_day_hard),
    });
    byTenant.set(row.tenant_id, scopes);
  }
  return byTenant;
}

export interface Spend {
  tenantId: string;
  feature: string;
  day: string;
  requests: number;
  spentUsd: number;
  reservedUsd: number;
}

export async function spendToday(pool: Pool, tenantId: string): Promise<Spend[]> {
  const { rows } = await pool.query<{
    feature: string;
    window_start: Date;
    requests: number;
    spent_usd: string;
    reserved_usd: string;
  }>(
    `SELECT feature, window_start, requests, spent_usd, reserved_usd FROM budget_usage
     WHERE tenant_id = $1 AND window_kind = 'day' AND window_start = date_trunc('day', now()) ORDER BY feature`,
    [tenantId],
  );
  return rows.map((row) => ({
    tenantId,
    feature: row.feature,
    day: row.window_start.toISOString().slice(0, 10),
    requests: row.requests,
    spentUsd: Number(row.spent_usd),
    reservedUsd: Number(row.reserved_usd),
  }));
}
