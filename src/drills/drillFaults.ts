import { z } from 'zod';
import { recordAudit } from '../audit/auditLog';
import { withTransaction, type Pool, type PoolClient } from '../db/pool';
import { describeZodIssues, InputError } from '../errors';
import { modelIdSchema, oneLine, tenantIdSchema } from '../model/textFields';
import { ROUTES_CHANNEL } from '../routing/routeStore';

/** A model switched off for one synthetic tenant inside every gateway, until the drill reverts it or it expires. */
export interface DrillFault {
  tenant: string;
  model: string;
  drill: string;
  expiresAt: Date;
}

const injectSchema = z.strictObject({
  tenant: tenantIdSchema,
  model: modelIdSchema,
  /** The drill's workflow id: its finally path reverts exactly its own faults. */
  drill: oneLine(300),
  /** A fault outlives nothing: even with the worker and Temporal gone it lapses after this. */
  minutes: z.number().int().min(1).max(120),
  actor: oneLine(200),
});

interface FaultRow {
  tenant_id: string;
  model: string;
  drill: string;
  expires_at: Date;
}

const toFault = (row: FaultRow): DrillFault => ({
  tenant: row.tenant_id,
  model: row.model,
  drill: row.drill,
  expiresAt: row.expires_at,
});

/**
 * Switch `model` off for a synthetic tenant on every gateway (NOTIFY on commit); audited. A real
 * tenant is refused here, in the same transaction that writes the fault, whatever the caller checked.
 */
export async function injectDrillFault(pool: Pool, input: z.input<typeof injectSchema>): Promise<DrillFault> {
  const parsed = injectSchema.safeParse(input);
  if (!parsed.success) throw new InputError(describeZodIssues('The drill fault', parsed.error.issues));
  const f = parsed.data;
  return withTransaction(pool, async (client) => {
    const tenant = await client.query<{ kind: string }>('SELECT kind FROM tenants WHERE id = $1 FOR SHARE', [f.tenant]);
    if (tenant.rows[0]?.kind !== 'synthetic')
      throw new InputError(
        tenant.rows[0]
          ? `Tenant "${f.tenant}" carries real traffic: drills run on synthetic tenants only (flightdeck tenant create --synthetic)`
          : `No tenant "${f.tenant}"`,
      );
    const { rows } = await client.query<FaultRow>(
      `INSERT INTO drill_faults (tenant_id, model, drill, expires_at) VALUES ($1, $2, $3, now() + $4 * interval '1 minute')
       ON CONFLICT (tenant_id, model) DO UPDATE SET drill = EXCLUDED.drill, expires_at = EXCLUDED.expires_at
       RETURNING *`,
      [f.tenant, f.model, f.drill, f.minutes],
    );
    await recordAudit(client, {
      actor: f.actor,
      action: 'drill.fault',
      subject: `${f.tenant}/${f.model}`,
      fromValue: null,
      toValue: 'off',
      reason: `drill ${f.drill}`,
      details: { drill: f.drill, minutes: f.minutes },
    });
    await client.query('SELECT pg_notify($1, $2)', [ROUTES_CHANNEL, f.model]);
    return toFault(rows[0]!);
  });
}

/** Revert the faults of one drill, or every drill's (`drill abort`); audited; reverting nothing changes nothing. */
export async function revertDrillFaults(
  pool: Pool,
  input: { drill?: string; actor: string; reason: string },
): Promise<DrillFault[]> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<FaultRow>(
      'DELETE FROM drill_faults WHERE $1::text IS NULL OR drill = $1 RETURNING *',
      [input.drill ?? null],
    );
    for (const row of rows)
      await recordAudit(client, {
        actor: input.actor,
        action: 'drill.fault',
        subject: `${row.tenant_id}/${row.model}`,
        fromValue: 'off',
        toValue: null,
        reason: input.reason,
        details: { drill: row.drill },
      });
    if (rows.length) await client.query('SELECT pg_notify($1, $2)', [ROUTES_CHANNEL, 'drill']);
    return rows.map(toFault);
  });
}

/** The faults in force, by tenant then model (the gateway holds them with the routes, reloaded on NOTIFY). */
export async function loadDrillFaults(db: Pool | PoolClient): Promise<Map<string, Map<string, DrillFault>>> {
  const { rows } = await db.query<FaultRow>('SELECT * FROM drill_faults WHERE expires_at > now()');
  const byTenant = new Map<string, Map<string, DrillFault>>();
  for (const row of rows) {
    const models = byTenant.get(row.tenant_id) ?? new Map<string, DrillFault>();
    models.set(row.model, toFault(row));
    byTenant.set(row.tenant_id, models);
  }
  return byTenant;
}

/** Whether `model` is switched off for `tenant` now (a probe of the model "as the tenant sees it"). */
export async function drillFaultFor(db: Pool, tenant: string, model: string): Promise<DrillFault | undefined> {
  const { rows } = await db.query<FaultRow>(
    'SELECT * FROM drill_faults WHERE tenant_id = $1 AND model = $2 AND expires_at > now()',
    [tenant, model],
  );
  return rows[0] && toFault(rows[0]);
}
