import pg from 'pg';
import { budgetedTenants, type HardLimits } from '../budgets/budgetStore';
import { createPool, type Pool } from '../db/pool';
import { LABEL_CHANNEL } from '../registry/labels';
import { loadDrillFaults, type DrillFault } from '../drills/drillFaults';
import { loadOutputCaps, type OutputCap } from '../routing/outputCaps';
import { loadRouteOverrides, type RouteOverride } from '../routing/routeOverrides';
import { loadRoutes, ROUTES_CHANNEL } from '../routing/routeStore';
import type { PromptRoute } from '../routing/routingTable';
import { ThrottleBuckets } from './tenantThrottle';
import { findTenantByKeyHash, listTenants, TENANTS_CHANNEL, type Tenant } from '../tenants/tenantStore';

type Part = 'routes' | 'tenants';

/** Unknown key hashes remembered (bounded), and how many unknown keys may be looked up in Postgres per second. */
const UNKNOWN_KEYS_REMEMBERED = 10_000;
const UNKNOWN_KEY_TTL_MS = 60_000;
const KEY_LOOKUPS_PER_SECOND = 20;

/**
 * What the hot path reads from memory: routes and route overrides, tenants by key hash, which
 * tenants have budgets.
 * Loaded from Postgres, refreshed on LISTEN/NOTIFY. When Postgres goes away the last tables keep
 * serving and `degraded` is true until the listener is back (it then reloads everything, since
 * notifications sent meanwhile are lost).
 */
export class LiveState {
  routes = new Map<string, PromptRoute>();
  /** Models sent to a backup first (a provider outage's mitigation); they travel with the routes. */
  overrides = new Map<string, RouteOverride>();
  /** Models whose calls' output tokens are capped (a latency spike's mitigation); they travel with the routes. */
  caps = new Map<string, OutputCap>();
  /** Drill faults by synthetic tenant, then model; they travel with the routes. */
  faults = new Map<string, Map<string, DrillFault>>();
  budgeted = new Map<string, HardLimits[]>();
  /** Throttled tenants' request allowances in this process. */
  readonly throttles = new ThrottleBuckets();
  private tenants = new Map<string, Tenant>();
  /** Key hashes Postgres did not know, until when: a flood of random keys costs no query after the first. */
  private unknownKeys = new Map<string, number>();
  private lookups = { second: 0, count: 0 };
  /** Key lookups have their own two connections: a flood of bad keys cannot starve budget or log queries. */
  private readonly lookupPool: Pool;
  private listener?: pg.Client;
  private reconnectTimer?: NodeJS.Timeout;
  private closed = false;
  private connected = false;
  private readonly reloading = new Map<Part, Promise<void>>();
  private readonly again = new Set<Part>();

  constructor(
    private readonly pool: Pool,
    private readonly url: string,
  ) {
    this.lookupPool = createPool(url, 2, { connectionTimeoutMillis: 1000, query_timeout: 2000 });
  }

  get degraded(): boolean {
    return !this.connected;
  }

  /** LISTEN first, then load: nothing changed in between goes unseen, and the tables load once. */
  async start(): Promise<void> {
    await this.listen(true);
  }

  tenantByKeyHash(hash: string): Tenant | undefined {
    return this.tenants.get(hash);
  }

  /**
   * A key not in memory may belong to a tenant created a moment ago whose NOTIFY has not arrived:
   * ask Postgres, but at most KEY_LOOKUPS_PER_SECOND times a second, and once per unknown key
   * until it is forgotten or the tenants change.
   */
  async lookupTenant(hash: string): Promise<Tenant | undefined> {
    const now = Date.now();
    const until = this.unknownKeys.get(hash);
    if (until !== undefined && until > now) return undefined;
    const second = Math.floor(now / 1000);
    if (this.lookups.second !== second) this.lookups = { second, count: 0 };
    if (++this.lookups.count > KEY_LOOKUPS_PER_SECOND) return undefined;
    const tenant = await findTenantByKeyHash(this.lookupPool, hash);
    if (tenant) this.tenants.set(hash, tenant);
    else {
      if (this.unknownKeys.size >= UNKNOWN_KEYS_REMEMBERED) this.unknownKeys.clear();
      this.unknownKeys.set(hash, now + UNKNOWN_KEY_TTL_MS);
    }
    return tenant;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    await this.listener?.end().catch(() => undefined);
    await this.lookupPool.end().catch(() => undefined);
  }

  /** Reload one part; a notification arriving mid-reload runs one more reload after it. */
  private reload(part: Part): Promise<void> {
    const running = this.reloading.get(part);
    if (running) {
      this.again.add(part);
      return running;
    }
    const work = (async () => {
      if (part === 'routes')
        [this.routes, this.overrides, this.caps, this.faults] = await Promise.all([
          loadRoutes(this.pool),
          loadRouteOverrides(this.pool),
          loadOutputCaps(this.pool),
          loadDrillFaults(this.pool),
        ]);
      else {
        const [tenants, budgeted] = await Promise.all([listTenants(this.pool), budgetedTenants(this.pool)]);
        // A rotated tenant answers to both keys until the old one's window closes (authenticate checks the time).
        this.tenants = new Map(
          tenants.flatMap((t) => [
            [t.keyHash, t] as const,
            ...(t.previousKeyHash ? [[t.previousKeyHash, t] as const] : []),
          ]),
        );
        this.unknownKeys = new Map(); // a key refused a moment ago may be a tenant just created
        this.budgeted = budgeted;
      }
    })().finally(() => {
      this.reloading.delete(part);
      if (this.again.delete(part)) void this.reload(part).catch(() => undefined);
    });
    this.reloading.set(part, work);
    return work;
  }

  private async listen(failLoudly = false): Promise<void> {
    const client = new pg.Client({
      connectionString: this.url,
      application_name: 'flightdeck-gateway-listen',
      connectionTimeoutMillis: 2000,
    });
    client.on('notification', (message) => {
      const part: Part = message.channel === TENANTS_CHANNEL ? 'tenants' : 'routes';
      void this.reload(part).catch(() => undefined);
    });
    const lost = () => {
      if (this.listener !== client) return;
      this.listener = undefined;
      this.connected = false;
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', lost);
    try {
      await client.connect();
      await client.query(`LISTEN ${LABEL_CHANNEL}; LISTEN ${ROUTES_CHANNEL}; LISTEN ${TENANTS_CHANNEL}`);
      this.listener = client;
      await Promise.all([this.reload('routes'), this.reload('tenants')]);
      this.connected = true;
    } catch (error) {
      this.listener = undefined;
      await client.end().catch(() => undefined);
      if (failLoudly) throw error;
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closed) void this.listen();
    }, 500);
    this.reconnectTimer.unref();
  }
}
