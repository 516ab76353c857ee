import type { Pool } from '../db/pool';
import type { CostStep } from '../model/costPolicy';
import { setTenantStatus } from '../tenants/tenantStore';

/**
 * A cost incident's hand on a tenant: the status reason starts with the incident's workflow id, so
 * its undo lifts only what it set (a tenant someone killed meanwhile for another reason stays killed).
 */
export async function applyTenantStep(
  pool: Pool,
  input: { tenant: string; step: Exclude<CostStep, 'warn'>; throttleRpm?: number; incident: string; reason: string },
): Promise<void> {
  const status = input.step === 'throttle' ? 'throttled' : 'killed';
  // Done already (a retried activity, a worker killed after the write): no second audit row.
  const { rows } = await pool.query(
    `SELECT 1 FROM tenants WHERE id = $1 AND status = $2 AND starts_with(status_reason, $3)
       AND throttle_rpm IS NOT DISTINCT FROM $4`,
    [input.tenant, status, `${input.incident}: `, status === 'throttled' ? (input.throttleRpm ?? null) : null],
  );
  if (rows.length) return;
  await setTenantStatus(pool, input.tenant, status, `${input.incident}: ${input.reason}`, input.incident, {
    throttleRpm: input.throttleRpm,
  });
}

/** Serve the tenant normally again, if what holds it is still this incident's step. Returns whether it did. */
export async function restoreTenantFromIncident(
  pool: Pool,
  input: { tenant: string; incident: string; actor: string; reason: string },
): Promise<boolean> {
  const { rows } = await pool.query<{ status: string; status_reason: string | null }>(
    'SELECT status, status_reason FROM tenants WHERE id = $1',
    [input.tenant],
  );
  const held = rows[0];
  if (!held || held.status === 'active' || !held.status_reason?.startsWith(`${input.incident}: `)) return false;
  await setTenantStatus(pool, input.tenant, 'active', `${input.incident} resolved: ${input.reason}`, input.actor);
  return true;
}
