import { z } from 'zod';
import { recordAudit } from '../audit/auditLog';
import { withTransaction, type Pool, type PoolClient } from '../db/pool';
import { describeZodIssues, InputError } from '../errors';
import { modelIdSchema, oneLine, tenantIdSchema } from '../model/textFields';
import type { ProviderConfig } from '../providers/config';
import { parseTarget, targetKey, type Target } from './fallbackChain';
import { ROUTES_CHANNEL } from './routeStore';

/** A model every gateway sends to its backup first (a provider outage's mitigation). */
export interface RouteOverride {
  model: string;
  /** Only this tenant's calls (a drill's synthetic tenant); null: everyone's. */
  tenant: string | null;
  backup: string;
  reason: string;
  incident: string | null;
  createdBy: string;
  createdAt: Date;
}

export const routeOverrideSchema = z
  .strictObject({
    model: modelIdSchema,
    /** Only this tenant's calls are moved (a drill's outage); everyone's when absent. */
    tenant: tenantIdSchema.optional(),
    backup: modelIdSchema,
    reason: oneLine(1000),
    /** The incident workflow id that sets it (its undo clears it). */
    incident: oneLine(300).optional(),
    actor: oneLine(200),
  })
  .refine((o) => o.model !== o.backup, { message: 'the backup must be another model', path: ['backup'] });
export type RouteOverrideInput = z.input<typeof routeOverrideSchema>;

const clearSchema = z.strictObject({
  model: modelIdSchema,
  tenant: tenantIdSchema.optional(),
  reason: oneLine(1000),
  actor: oneLine(200),
  /** Clear it only if this incident set it (an incident's undo never ends someone else's override). */
  incident: oneLine(300).optional(),
});

interface OverrideRow {
  model: string;
  tenant_id: string;
  backup: string;
  reason: string;
  incident: string | null;
  created_by: string;
  created_at: Date;
}

const toOverride = (row: OverrideRow): RouteOverride => ({
  model: row.model,
  tenant: row.tenant_id || null,
  backup: row.backup,
  reason: row.reason,
  incident: row.incident,
  createdBy: row.created_by,
  createdAt: row.created_at,
});

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new InputError(describeZodIssues('The route override', parsed.error.issues));
  return parsed.data;
}

/** Where an override sits in the gateway's map: the model, or the tenant and the model for a tenant's own. */
export const overrideKey = (model: string, tenant?: string | null): string =>
  tenant ? `${tenant}\u0000${model}` : model;

/** Every override in force, by `overrideKey` (the gateway holds them in memory, reloaded on NOTIFY). */
export async function loadRouteOverrides(db: Pool | PoolClient): Promise<Map<string, RouteOverride>> {
  const { rows } = await db.query<OverrideRow>('SELECT * FROM route_overrides ORDER BY model, tenant_id');
  return new Map(rows.map((row) => [overrideKey(row.model, row.tenant_id), toOverride(row)]));
}

/**
 * Send `model`'s calls to `backup` first on every gateway, at once (NOTIFY on commit); audited.
 * Setting the same override again changes nothing; a different backup replaces the old one.
 * `config` checks that a provider serves the backup, so a typo cannot turn an outage into a total one.
 */
export async function setRouteOverride(
  pool: Pool,
  input: RouteOverrideInput,
  config: ProviderConfig,
): Promise<{ previous: RouteOverride | null; override: RouteOverride }> {
  const o = parse(routeOverrideSchema, input);
  parseTarget(o.backup, config); // throws, naming the providers file, when no provider serves it
  return withTransaction(pool, async (client) => {
    const tenant = o.tenant ?? '';
    const before = await client.query<OverrideRow>(
      'SELECT * FROM route_overrides WHERE model = $1 AND tenant_id = $2 FOR UPDATE',
      [o.model, tenant],
    );
    const previous = before.rows[0] ? toOverride(before.rows[0]) : null;
    if (previous?.backup === o.backup) return { previous, override: previous };
    const { rows } = await client.query<OverrideRow>(
      `INSERT INTO route_overrides (model, tenant_id, backup, reason, incident, created_by) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (model, tenant_id) DO UPDATE SET backup = EXCLUDED.backup, reason = EXCLUDED.reason,
         incident = EXCLUDED.incident, created_by = EXCLUDED.created_by, created_at = now()
       RETURNING *`,
      [o.model, tenant, o.backup, o.reason, o.incident ?? null, o.actor],
    );
    await recordAudit(client, {
      actor: o.actor,
      action: 'route.override',
      subject: o.model,
      fromValue: previous?.backup ?? null,
      toValue: o.backup,
      reason: o.reason,
      details: { incident: o.incident ?? null, tenant: o.tenant ?? null },
    });
    await client.query('SELECT pg_notify($1, $2)', [ROUTES_CHANNEL, o.model]);
    return { previous, override: toOverride(rows[0]!) };
  });
}

/** Send `model`'s calls to it first again; audited; clearing a model without an override changes nothing. */
export async function clearRouteOverride(
  pool: Pool,
  input: z.input<typeof clearSchema>,
): Promise<RouteOverride | null> {
  const o = parse(clearSchema, input);
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<OverrideRow>(
      'DELETE FROM route_overrides WHERE model = $1 AND tenant_id = $2 AND ($3::text IS NULL OR incident = $3) RETURNING *',
      [o.model, o.tenant ?? '', o.incident ?? null],
    );
    if (!rows[0]) return null;
    await recordAudit(client, {
      actor: o.actor,
      action: 'route.override',
      subject: o.model,
      fromValue: rows[0].backup,
      toValue: null,
      reason: o.reason,
      details: { incident: o.incident ?? null, tenant: o.tenant ?? null },
    });
    await client.query('SELECT pg_notify($1, $2)', [ROUTES_CHANNEL, o.model]);
    return toOverride(rows[0]);
  });
}

/**
 * A call's targets under an override of its first one (the tenant's own first, then everyone's):
 * the backup first, then the other fallbacks, the overridden model last (tried only when everything
 * else failed, never first).
 */
export function reroute(
  chain: Target[],
  overrides: ReadonlyMap<string, RouteOverride>,
  config: ProviderConfig,
  tenant?: string,
): Target[] {
  const model = chain[0]!.model;
  const override = overrides.size
    ? (tenant && overrides.get(overrideKey(model, tenant))) || overrides.get(model)
    : undefined;
  if (!override) return chain;
  let backup: Target;
  try {
    backup = parseTarget(override.backup, config);
  } catch {
    return chain; // this gateway's providers file serves no such backup: its calls go as they would without
  }
  if (targetKey(backup) === targetKey(chain[0]!)) return chain; // "openai/m" for m: the same target
  const rest = chain.filter((t) => targetKey(t) !== targetKey(backup));
  return [backup, ...rest.slice(1), rest[0]!];
}
