import { recordAudit } from '../audit/auditLog';
import { withTransaction, type Pool } from '../db/pool';
import { InputError, NotFoundError } from '../errors';
import { TIERS, type Tier } from '../routing/cohorts';
import { tenantIdSchema } from '../model/textFields';
import { hashApiKey, keyPrefix, newApiKey } from './apiKey';

/** NOTIFY channel for tenant, status and budget changes; gateways reload their tenant cache on it. */
export const TENANTS_CHANNEL = 'flightdeck_tenants';

export type TenantStatus = 'active' | 'throttled' | 'killed';
export type PiiPolicy = 'redact' | 'block' | 'allow';
export type InjectionPolicy = 'flag' | 'block';
/** Synthetic tenants carry drills, probes and canary traffic: flagged in the log, left out of baselines and cost reports. */
export type TenantKind = 'customer' | 'synthetic';

export interface Tenant {
  id: string;
  tier: Tier;
  experimentsOptIn: boolean;
  keyHash: string;
  keyPrefix: string;
  /** The key a rotation replaced, still accepted until `previousKeyExpiresAt` (the overlap window). */
  previousKeyHash: string | null;
  previousKeyPrefix: string | null;
  previousKeyExpiresAt: Date | null;
  status: TenantStatus;
  statusReason: string | null;
  /** A throttled tenant's requests per minute on each gateway process (null: none, every request 429). */
  throttleRpm: number | null;
  piiPolicy: PiiPolicy;
  injectionPolicy: InjectionPolicy;
  kind: TenantKind;
  createdAt: Date;
}

interface TenantRow {
  id: string;
  tier: Tier;
  experiments_opt_in: boolean;
  key_hash: string;
  key_prefix: string;
  previous_key_hash: string | null;
  previous_key_prefix: string | null;
  previous_key_expires_at: Date | null;
  status: TenantStatus;
  status_reason: string | null;
  throttle_rpm: number | null;
  pii_policy: PiiPolicy;
  injection_policy: InjectionPolicy;
  kind: TenantKind;
  created_at: Date;
}

function toTenant(row: TenantRow): Tenant {
  return {
    id: row.id,
    tier: row.tier,
    experimentsOptIn: row.experiments_opt_in,
    keyHash: row.key_hash,
    keyPrefix: row.key_prefix,
    previousKeyHash: row.previous_key_hash,
    previousKeyPrefix: row.previous_key_prefix,
    previousKeyExpiresAt: row.previous_key_expires_at,
    status: row.status,
    statusReason: row.status_reason,
    throttleRpm: row.throttle_rpm,
    piiPolicy: row.pii_policy,
    injectionPolicy: row.injection_policy,
    kind: row.kind,
    createdAt: row.created_at,
  };
}

export interface NewTenant {
  id: string;
  tier: Tier;
  experimentsOptIn: boolean;
  piiPolicy?: PiiPolicy;
  injectionPolicy?: InjectionPolicy;
  kind?: TenantKind;
  actor: string;
}

/** Create a tenant and return its API key, which exists nowhere else afterwards. */
export async function createTenant(pool: Pool, input: NewTenant): Promise<{ tenant: Tenant; apiKey: string }> {
  const id = tenantIdSchema.safeParse(input.id);
  if (!id.success) throw new InputError(`"${input.id}": ${id.error.issues[0]!.message}`);
  if (!TIERS.includes(input.tier))
    throw new InputError(`tier must be one of ${TIERS.join(', ')} (got "${input.tier}")`);
  const apiKey = newApiKey();
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<TenantRow>(
      `INSERT INTO tenants (id, tier, experiments_opt_in, key_hash, key_prefix, pii_policy, injection_policy, kind)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING RETURNING *`,
      [
        input.id,
        input.tier,
        input.experimentsOptIn,
        hashApiKey(apiKey),
        keyPrefix(apiKey),
        input.piiPolicy ?? 'redact',
        input.injectionPolicy ?? 'flag',
        input.kind ?? 'customer',
      ],
    );
    if (!rows[0])
      throw new InputError(
        `Tenant "${input.id}" already exists; its key was shown when it was created. Run \`flightdeck tenant list\` to see tenants.`,
      );
    await recordAudit(client, { actor: input.actor, action: 'tenant.create', subject: input.id, toValue: input.tier });
    await client.query('SELECT pg_notify($1, $2)', [TENANTS_CHANNEL, input.id]);
    return { tenant: toTenant(rows[0]), apiKey };
  });
}

export async function listTenants(pool: Pool): Promise<Tenant[]> {
  const { rows } = await pool.query<TenantRow>('SELECT * FROM tenants ORDER BY id');
  return rows.map(toTenant);
}

export async function findTenantByKeyHash(pool: Pool, keyHash: string): Promise<Tenant | undefined> {
  const { rows } = await pool.query<TenantRow>('SELECT * FROM tenants WHERE key_hash = $1 OR previous_key_hash = $1', [
    keyHash,
  ]);
  return rows[0] ? toTenant(rows[0]) : undefined;
}

/** Whether `keyHash` opens this tenant now: its key, or the key it replaced within the overlap window. */
export function keyIsValid(tenant: Tenant, keyHash: string, now = Date.now()): boolean {
  if (tenant.keyHash === keyHash) return true;
  return tenant.previousKeyHash === keyHash && (tenant.previousKeyExpiresAt?.getTime() ?? 0) > now;
}

export interface KeyRotation {
  tenant: string;
  /** The hash and prefix of the new key: the key itself stays with whoever made it (printed once). */
  newKeyHash: string;
  newKeyPrefix: string;
  /** Minutes the replaced key keeps working (0: revoked at once). */
  overlapMinutes: number;
  actor: string;
  reason: string;
}

/**
 * Give a tenant a new key; the old one keeps working for the overlap window so the tenant can roll
 * the new one out. Idempotent: the same new key twice changes nothing the second time. A key
 * replaced in an earlier rotation whose window is still open stops working now.
 * Returns the replaced key's hash and when it stops working.
 */
export async function rotateTenantKey(
  pool: Pool,
  rotation: KeyRotation,
): Promise<{ previousKeyHash: string | null; previousKeyPrefix: string | null; expiresAt: Date | null }> {
  if (!rotation.reason.trim()) throw new InputError('Give a reason (--reason "…"): it goes into the audit trail');
  if (!/^[0-9a-f]{64}$/.test(rotation.newKeyHash)) throw new InputError('A new key hash is 64 hex digits (sha256)');
  if (!(Number.isInteger(rotation.overlapMinutes) && rotation.overlapMinutes >= 0 && rotation.overlapMinutes <= 10_080))
    throw new InputError(`The overlap is 0 to 10080 whole minutes (got ${rotation.overlapMinutes})`);
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<TenantRow>('SELECT * FROM tenants WHERE id = $1 FOR UPDATE', [rotation.tenant]);
    const current = rows[0];
    if (!current)
      throw new NotFoundError(`No tenant "${rotation.tenant}". Run \`flightdeck tenant list\` to see tenants.`);
    if (current.key_hash === rotation.newKeyHash)
      return {
        previousKeyHash: current.previous_key_hash,
        previousKeyPrefix: current.previous_key_prefix,
        expiresAt: current.previous_key_expires_at,
      };
    const overlap = rotation.overlapMinutes > 0;
    const updated = await client.query<{ expires_at: Date | null }>(
      `UPDATE tenants SET key_hash = $2, key_prefix = $3,
         previous_key_hash = CASE WHEN $4 THEN key_hash END,
         previous_key_prefix = CASE WHEN $4 THEN key_prefix END,
         previous_key_expires_at = CASE WHEN $4 THEN now() + $5 * interval '1 minute' END,
         updated_at = now()
       WHERE id = $1 RETURNING previous_key_expires_at AS expires_at`,
      [rotation.tenant, rotation.newKeyHash, rotation.newKeyPrefix, overlap, rotation.overlapMinutes],
    );
    const expiresAt = updated.rows[0]!.expires_at;
    await recordAudit(client, {
      actor: rotation.actor,
      action: 'tenant.key.rotate',
      subject: rotation.tenant,
      fromValue: current.key_prefix,
      toValue: rotation.newKeyPrefix,
      reason: rotation.reason,
      details: { oldKeyValidUntil: expiresAt?.toISOString() ?? 'revoked at once' },
    });
    await client.query('SELECT pg_notify($1, $2)', [TENANTS_CHANNEL, rotation.tenant]);
    return {
      previousKeyHash: overlap ? current.key_hash : null,
      previousKeyPrefix: overlap ? current.key_prefix : null,
      expiresAt,
    };
  });
}

/**
 * The end of a rotation's overlap: the replaced key stops working (it already fails once its time is
 * past; this forgets it). Only that key: a later rotation's is left alone. Returns whether it did.
 */
export async function revokePreviousKey(
  pool: Pool,
  input: { tenant: string; keyHash: string; actor: string; reason: string },
): Promise<boolean> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ prefix: string }>(
      `UPDATE tenants t SET previous_key_hash = NULL, previous_key_prefix = NULL, previous_key_expires_at = NULL,
         updated_at = now()
       FROM (SELECT id, previous_key_prefix FROM tenants WHERE id = $1 FOR UPDATE) old
       WHERE t.id = old.id AND t.previous_key_hash = $2 RETURNING old.previous_key_prefix AS prefix`,
      [input.tenant, input.keyHash],
    );
    if (!rows[0]) return false;
    await recordAudit(client, {
      actor: input.actor,
      action: 'tenant.key.revoke',
      subject: input.tenant,
      fromValue: rows[0].prefix,
      reason: input.reason,
    });
    await client.query('SELECT pg_notify($1, $2)', [TENANTS_CHANNEL, input.tenant]);
    return true;
  });
}

/**
 * throttle, kill or restore, with the reason in the audit trail; idempotent. A throttle may keep
 * `throttleRpm` requests a minute per gateway process (the cost playbook throttles to the tenant's
 * usual rate); without it every request is refused with 429.
 */
export async function setTenantStatus(
  pool: Pool,
  id: string,
  status: TenantStatus,
  reason: string,
  actor: string,
  options: { throttleRpm?: number } = {},
): Promise<{ from: TenantStatus; to: TenantStatus; throttleRpm: number | null }> {
  if (!reason.trim()) throw new InputError('Give a reason (--reason "…"): it goes into the audit trail');
  const rpm = status === 'throttled' ? (options.throttleRpm ?? null) : null;
  if (rpm !== null && !(Number.isInteger(rpm) && rpm > 0 && rpm <= 1_000_000))
    throw new InputError(`A throttle's rate is a whole number of requests a minute, 1 to 1000000 (got ${rpm})`);
  return withTransaction(pool, async (client) => {
    const current = await client.query<{ status: TenantStatus; throttle_rpm: number | null }>(
      'SELECT status, throttle_rpm FROM tenants WHERE id = $1 FOR UPDATE',
      [id],
    );
    if (!current.rows[0]) throw new NotFoundError(`No tenant "${id}". Run \`flightdeck tenant list\` to see tenants.`);
    const from = current.rows[0].status;
    await client.query(
      'UPDATE tenants SET status = $2, status_reason = $3, throttle_rpm = $4, updated_at = now() WHERE id = $1',
      [id, status, reason, rpm],
    );
    await recordAudit(client, {
      actor,
      action: 'tenant.status',
      subject: id,
      fromValue: from,
      toValue: rpm === null ? status : `${status} (${rpm}/min)`,
      reason,
    });
    await client.query('SELECT pg_notify($1, $2)', [TENANTS_CHANNEL, id]);
    return { from, to: status, throttleRpm: rpm };
  });
}
