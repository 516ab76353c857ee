import { recordAudit } from '../audit/auditLog';
import { withTransaction, type Pool, type PoolClient } from '../db/pool';
import { InputError } from '../errors';
import { PRODUCTION } from '../registry/labels';
import type { PromptSpec } from '../registry/promptFile';
import { FULL_WEIGHT_BP } from '../model/weights';
import { TIERS, type Tier } from './cohorts';
import { defaultExperimentId, type PromptRoute } from './routingTable';

/** NOTIFY channel for routing changes (label moves use the registry's own channel). */
export const ROUTES_CHANNEL = 'flightdeck_routes';

interface RouteRow {
  prompt_name: string;
  stable_version: string;
  stable_spec: PromptSpec;
  candidate_version: string | null;
  candidate_spec: PromptSpec | null;
  candidate_weight_bp: number | null;
  cohorts: Tier[] | null;
  shadow_version: string | null;
  shadow_spec: PromptSpec | null;
  shadow_sample_bp: number | null;
  experiment_id: string | null;
  disabled_reason: string | null;
}

/** Every prompt with a production version (or only `prompt`), with its candidate and shadow if it has them. */
export async function loadRoutes(db: Pool | PoolClient, prompt?: string): Promise<Map<string, PromptRoute>> {
  const { rows } = await db.query<RouteRow>(
    `SELECT l.prompt_name, l.version AS stable_version, sv.spec AS stable_spec,
            r.candidate_version, cv.spec AS candidate_spec, r.candidate_weight_bp, r.cohorts,
            r.shadow_version, shv.spec AS shadow_spec, r.shadow_sample_bp, r.experiment_id, p.disabled_reason
     FROM prompt_labels l
     JOIN prompts p ON p.name = l.prompt_name
     JOIN prompt_versions sv ON sv.prompt_name = l.prompt_name AND sv.version = l.version
     LEFT JOIN routes r ON r.prompt_name = l.prompt_name
     LEFT JOIN prompt_versions cv ON cv.prompt_name = r.prompt_name AND cv.version = r.candidate_version
     LEFT JOIN prompt_versions shv ON shv.prompt_name = r.prompt_name AND shv.version = r.shadow_version
     WHERE l.label = $1 AND ($2::text IS NULL OR l.prompt_name = $2)`,
    [PRODUCTION, prompt ?? null],
  );
  const routes = new Map<string, PromptRoute>();
  for (const row of rows) {
    const route: PromptRoute = {
      prompt: row.prompt_name,
      stable: { version: row.stable_version, spec: row.stable_spec },
      cohorts: row.cohorts ?? TIERS,
      experimentId:
        row.experiment_id ?? defaultExperimentId(row.prompt_name, row.candidate_version ?? row.stable_version),
    };
    if (row.disabled_reason !== null) route.disabled = true;
    if (row.candidate_version && row.candidate_spec && row.candidate_weight_bp) {
      route.candidate = { version: row.candidate_version, spec: row.candidate_spec, weightBp: row.candidate_weight_bp };
    }
    if (row.shadow_version && row.shadow_spec && row.shadow_sample_bp) {
      route.shadow = { version: row.shadow_version, spec: row.shadow_spec, sampleBp: row.shadow_sample_bp };
    }
    routes.set(row.prompt_name, route);
  }
  return routes;
}

export interface RouteChange {
  prompt: string;
  candidateVersion?: string | null;
  weightBp?: number;
  cohorts?: Tier[];
  shadowVersion?: string | null;
  shadowSampleBp?: number;
  experimentId?: string | null;
  actor: string;
  reason?: string;
  /** Kept in the audit row: e.g. the numbers a rollback was decided on. */
  details?: Record<string, unknown>;
}

function checkWeight(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > FULL_WEIGHT_BP)) {
    throw new InputError(`${name} must be a whole number of basis points from 0 to ${FULL_WEIGHT_BP} (got ${value})`);
  }
}

/**
 * Change a prompt's route in one transaction with an audit row and a NOTIFY, so every gateway
 * serves the new routing at once. Fields left out keep their value.
 */
export function setRoute(pool: Pool, change: RouteChange): Promise<PromptRoute> {
  return withTransaction(pool, (client) => setRouteWithin(client, change));
}

/** Change a route inside the caller's transaction (e.g. together with a label move). */
export async function setRouteWithin(client: PoolClient, change: RouteChange): Promise<PromptRoute> {
  checkWeight('weight', change.weightBp);
  checkWeight('shadow sample', change.shadowSampleBp);
  await client
    .query(`INSERT INTO routes (prompt_name, updated_by) VALUES ($1, $2) ON CONFLICT (prompt_name) DO NOTHING`, [
      change.prompt,
      change.actor,
    ])
    .catch((error: { code?: string }) => {
      if (error.code === '23503')
        throw new InputError(
          `Prompt "${change.prompt}" is not registered; push it first with \`flightdeck prompt push\``,
        );
      throw error;
    });
  const sets: string[] = ['updated_by = $2', 'updated_at = clock_timestamp()'];
  const values: unknown[] = [change.prompt, change.actor];
  const assign = (column: string, value: unknown) => {
    if (value === undefined) return;
    values.push(value);
    sets.push(`${column} = $${values.length}`);
  };
  assign('candidate_version', change.candidateVersion);
  assign('candidate_weight_bp', change.weightBp);
  assign('cohorts', change.cohorts);
  assign('shadow_version', change.shadowVersion);
  assign('shadow_sample_bp', change.shadowSampleBp);
  assign('experiment_id', change.experimentId);
  await client
    .query(`UPDATE routes SET ${sets.join(', ')} WHERE prompt_name = $1`, values)
    .catch((error: { code?: string }) => {
      if (error.code === '23503')
        throw new InputError(
          `Prompt "${change.prompt}" has no such version; run \`flightdeck prompt history ${change.prompt}\``,
        );
      throw error;
    });
  await recordAudit(client, {
    actor: change.actor,
    action: 'route.set',
    subject: change.prompt,
    reason: change.reason,
    details: { ...change, actor: undefined },
  });
  await client.query('SELECT pg_notify($1, $2)', [ROUTES_CHANNEL, change.prompt]);
  const route = (await loadRoutes(client, change.prompt)).get(change.prompt);
  if (!route) throw new InputError(`Prompt "${change.prompt}" has no production version yet, so it cannot be routed`);
  return route;
}

/** Whether the routing table sends any traffic (served or shadow) to a candidate of the prompt. */
export async function hasLiveCandidate(db: Pool | PoolClient, prompt: string): Promise<boolean> {
  const { rows } = await db.query(
    'SELECT 1 FROM routes WHERE prompt_name = $1 AND (candidate_weight_bp > 0 OR shadow_sample_bp > 0)',
    [prompt],
  );
  return rows.length > 0;
}

interface CurrentRoute {
  candidate_version: string | null;
  candidate_weight_bp: number;
  cohorts: Tier[];
  shadow_version: string | null;
  shadow_sample_bp: number;
  updated_at: Date;
}

const sameRoute = (current: CurrentRoute | undefined, change: RouteChange) =>
  current !== undefined &&
  current.candidate_version === change.candidateVersion &&
  current.candidate_weight_bp === change.weightBp &&
  current.shadow_version === change.shadowVersion &&
  current.shadow_sample_bp === change.shadowSampleBp &&
  (change.cohorts === undefined || current.cohorts.join() === change.cohorts.join());

/**
 * Write a route unless it already is what is asked (a retried activity writes, audits and notifies
 * once); returns when the route took effect: the commit time of the write that made it so.
 */
export async function ensureRouteWithin(
  client: PoolClient,
  change: RouteChange,
): Promise<{ effectiveAt: string; changed: boolean }> {
  const { rows } = await client.query<CurrentRoute>(
    'SELECT candidate_version, candidate_weight_bp, cohorts, shadow_version, shadow_sample_bp, updated_at FROM routes WHERE prompt_name = $1 FOR UPDATE',
    [change.prompt],
  );
  if (sameRoute(rows[0], change)) return { effectiveAt: rows[0]!.updated_at.toISOString(), changed: false };
  await setRouteWithin(client, change);
  const after = await client.query<{ updated_at: Date }>('SELECT updated_at FROM routes WHERE prompt_name = $1', [
    change.prompt,
  ]);
  return { effectiveAt: after.rows[0]!.updated_at.toISOString(), changed: true };
}
