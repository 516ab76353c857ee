import type { Pool } from '../db/pool';
import { InputError } from '../errors';
import { hashApiKey, keyPrefix, newApiKey } from './apiKey';
import { createTenant, rotateTenantKey } from './tenantStore';

/**
 * A tenant for synthetic traffic (drills, probes, canaries), created as synthetic on first use. A
 * real tenant is refused: synthetic faults and traffic never touch a customer's calls.
 */
export async function ensureSyntheticTenant(pool: Pool, tenant: string, actor: string): Promise<'created' | 'exists'> {
  const { rows } = await pool.query<{ kind: string }>('SELECT kind FROM tenants WHERE id = $1', [tenant]);
  if (rows[0]?.kind === 'synthetic') return 'exists';
  if (rows[0])
    throw new InputError(
      `Tenant "${tenant}" carries real traffic: synthetic traffic (drills, probes, canaries) goes to synthetic tenants only (name another, or create one with \`flightdeck tenant create <id> --synthetic\`)`,
    );
  await createTenant(pool, { id: tenant, tier: 'enterprise', experimentsOptIn: false, kind: 'synthetic', actor }).catch(
    async (error: unknown) => {
      // Two drills creating it at once: the other one won.
      const again = await pool.query<{ kind: string }>('SELECT kind FROM tenants WHERE id = $1', [tenant]);
      if (again.rows[0]?.kind !== 'synthetic') throw error;
    },
  );
  return 'created';
}

/**
 * A key for a synthetic tenant's traffic, made here and never stored or returned past the activity
 * that uses it. The key before keeps working for an hour, so two users of the tenant (a drill and
 * a probe pass) do not lock each other out.
 */
export async function mintSyntheticKey(pool: Pool, tenant: string, actor: string): Promise<string> {
  const key = newApiKey();
  await rotateTenantKey(pool, {
    tenant,
    newKeyHash: hashApiKey(key),
    newKeyPrefix: keyPrefix(key),
    overlapMinutes: 60,
    actor,
    reason: 'synthetic traffic',
  });
  return key;
}
