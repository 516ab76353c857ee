import { z } from 'zod';
import { recordAudit } from '../audit/auditLog';
import { withTransaction, type Pool, type PoolClient } from '../db/pool';
import { describeZodIssues, InputError } from '../errors';
import { modelIdSchema, oneLine } from '../model/textFields';
import type { ProviderConfig } from '../providers/config';
import { parseTarget, targetKey, type Target } from './fallbackChain';
import { ROUTES_CHANNEL } from './routeStore';

/** A model every gateway sends to its backup first (a provider outage's mitigation). */
export interface RouteOverride {
  model: string;
  backup: string;
  reason: string;
  incident: string | null;
  createdBy: string;
  createdAt: Date;
}

export const routeOverrideSchema = z
  .strictObject({
    model: modelIdSchema,
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
  reason: oneLine(1000),
  actor: oneLine(200),
  /** Clear it only if this incident set it (an incident's undo never ends someone else's override). */
  incident: oneLine(300).optional(),
});

interface OverrideRow {
  model: string;
  backup: string;
  reason: string;
  incident: string | null;
  created_by: string;
  created_at: Date;
}

const toOverride = (row: OverrideRow): RouteOverride => ({
  model: row.model,
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

/** Every override in force, by model (the gateway holds them in memory, reloaded on NOTIFY). */
export async function loadRouteOverrides(db: Pool | PoolClient): Promise<Map<string, RouteOverride>> {
  const { rows } = await db.query<OverrideRow>('SELECT * FROM route_overrides ORDER BY model');
  return new Map(rows.map((row) => [row.model, toOverride(row)]));
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
    const before = await client.query<OverrideRow>('SELECT * FROM route_overrides WHERE model = $1 FOR UPDATE', [
      o.model,
    ]);
    const previous = before.rows[0] ? toOverride(before.rows[0]) : null;
    if (previous?.backup === o.backup) return { previous, override: previous };
    const { rows } = await client.query<OverrideRow>(
      `INSERT INTO route_overrides (model, backup, reason, incident, created_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (model) DO UPDATE SET backup = EXCLUDED.backup, reason = EXCLUDED.reason,
         incident = EXCLUDED.incident, created_by = EXCLUDED.created_by, created_at = now()
       RETURNING *`,
      [o.model, o.backup, o.reason, o.incident ?? null, o.actor],
    );
    await recordAudit(client, {
      actor: o.actor,
      action: 'route.override',
      subject: o.model,
      fromValue: previous?.backup ?? null,
      toValue: o.backup,
      reason: o.reason,
      details: { incident: o.incident ?? null },
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
      'DELETE FROM route_overrides WHERE model = $1 AND ($2::text IS NULL OR incident = $2) RETURNING *',
      [o.model, o.incident ?? null],
    );
    if (!rows[0]) return null;
    await recordAudit(client, {
      actor: o.actor,
      action: 'route.override',
      subject: o.model,
      fromValue: rows[0].backup,
      toValue: null,
      reason: o.reason,
      details: { incident: o.incident ?? null },
    });
    await client.query('SELECT pg_notify($1, $2)', [ROUTES_CHANNEL, o.model]);
    return toOverride(rows[0]);
  });
}

/**
 * A call's targets under an override of its first one: the backup first, then the other fallbacks,
 * the overridden model last (tried only when everything else failed, never first).
 */
export function reroute(
  chain: Target[],
  overrides: ReadonlyMap<string, RouteOverride>,
  config: ProviderConfig,
): Target[] {
  const override = overrides.size ? overrides.get(chain[0]!.model) : undefined;
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
