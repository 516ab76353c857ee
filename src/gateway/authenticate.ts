import type { IncomingHttpHeaders } from 'node:http';
import { hashApiKey } from '../tenants/apiKey';
import { keyIsValid, type Tenant } from '../tenants/tenantStore';
import { GatewayError } from './gatewayError';
import type { LiveState } from './liveState';

/** The tenant behind `Authorization: Bearer <key>`: 401 without a valid key, 429 throttled (past its rate, if it keeps one), 403 killed. */
export async function authenticate(headers: IncomingHttpHeaders, state: LiveState): Promise<Tenant> {
  const header = headers.authorization;
  const key =
    typeof header === 'string' && /^Bearer\s+\S+$/i.test(header) ? header.replace(/^Bearer\s+/i, '').trim() : undefined;
  if (!key)
    throw new GatewayError(
      401,
      'authentication_error',
      'Missing API key: send `Authorization: Bearer <key>` (create one with `flightdeck tenant create`)',
      'missing_api_key',
    );
  const hash = hashApiKey(key);
  // Not through the hot path's database guard: a failing key lookup must not switch budgets to offline mode.
  const tenant = state.tenantByKeyHash(hash) ?? (await state.lookupTenant(hash).catch(() => undefined));
  if (!tenant) throw new GatewayError(401, 'authentication_error', 'Incorrect API key provided', 'invalid_api_key');
  if (!keyIsValid(tenant, hash))
    throw new GatewayError(
      401,
      'authentication_error',
      'This API key was rotated and its overlap window has closed; use the new key',
      'api_key_revoked',
    );
  if (tenant.status === 'killed') {
    // The operator's reason stays with operators (audit log, `tenant list`): tenants get a plain one.
    throw new GatewayError(
      403,
      'permission_error',
      `Tenant ${tenant.id} is disabled; contact the operator of this gateway`,
      'tenant_killed',
    );
  }
  if (tenant.status === 'throttled') {
    const retryAfter = state.throttles.admit({ tenantId: tenant.id, rpm: tenant.throttleRpm });
    if (retryAfter > 0)
      throw new GatewayError(
        429,
        'rate_limit_error',
        tenant.throttleRpm === null
          ? `Tenant ${tenant.id} is throttled; retry later`
          : `Tenant ${tenant.id} is throttled to ${tenant.throttleRpm} requests a minute; retry later`,
        'tenant_throttled',
        null,
        { 'retry-after': String(retryAfter) },
      );
  }
  return tenant;
}
