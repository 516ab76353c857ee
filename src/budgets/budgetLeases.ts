import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Pool } from '../db/pool';
import type { HardLimits } from './budgetStore';
import type { Settlement } from './settlement';

const leaseSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    requests: z.number(),
    usd: z.coerce.number(),
    minuteStart: z.string(),
    dayStart: z.string(),
  }),
  z.object({
    ok: z.literal(false),
    scope: z.string(),
    limit: z.enum(['rpm', 'usd_day']),
    onHard: z.enum(['reject', 'downgrade']),
    downgradeModel: z.string().nullable(),
    retryAfterS: z.number(),
  }),
]);
export type BudgetRefusal = Extract<z.infer<typeof leaseSchema>, { ok: false }>;

interface Lease {
  /** The lease's row in budget_leases: it expires unless renewed, so a dead gateway's hold comes back. */
  id: string;
  renewedAt: number;
  tenantId: string;
  feature: string;
  requests: number;
  usd: number;
  minuteStart: number;
  dayStart: number;
  lastUsed: number;
  /** Given back to Postgres; requests still in flight on it settle their whole estimate. */
  released: boolean;
}

/** An admitted request: settle it with its real cost once the call is done. */
export interface BudgetTicket {
  settle(actualUsd: number): Settlement;
}

export interface LeaseOptions {
  /** Requests asked for per lease (the database grants at most a quarter of what a limit has left). */
  leaseRequests: number;
  /** USD asked for per lease, in request estimates. */
  leaseEstimates: number;
  /** A lease unused this long is given back. */
  idleMs: number;
  /** A lease not renewed this long expires and its reservation is reclaimed (a gateway killed without releasing). */
  ttlMs: number;
  /** While Postgres is away, the share of each hard limit this gateway may spend on its own, per window. */
  offlineShare: number;
}

const DEFAULTS: LeaseOptions = {
  leaseRequests: 50,
  leaseEstimates: 50,
  idleMs: 2000,
  ttlMs: 60_000,
  offlineShare: 0.1,
};
const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * Budget checks without a database round trip per request. A gateway leases a share of each limit
 * from Postgres (`budget_lease`: requests counted and USD reserved there, atomically, never past a
 * hard limit) and spends it locally; an idle lease is given back (`budget_release`). Spend across
 * every gateway therefore never passes a hard limit by more than one request's misestimate.
 */
export class BudgetLeases {
  private readonly leases = new Map<string, Lease>();
  /** Spent without Postgres, per scope and window: what `admitOffline` counts against the local share. */
  private readonly offline = new Map<
    string,
    { minuteStart: number; requests: number; dayStart: number; usd: number }
  >();
  private readonly acquiring = new Map<string, Promise<BudgetRefusal | undefined>>();
  private readonly timer: NodeJS.Timeout;
  private readonly options: LeaseOptions;

  constructor(
    private readonly pool: Pool,
    options: Partial<LeaseOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.options = { ...DEFAULTS, ...options };
    this.timer = setInterval(
      () => void this.releaseIdle().then(() => this.renew()),
      Math.max(250, Math.min(this.options.idleMs / 2, this.options.ttlMs / 4)),
    );
    this.timer.unref();
  }

  /** Take one request and its estimate from the lease, leasing more when it runs out; a refusal says which limit. */
  async admit(tenantId: string, feature: string, estimateUsd: number): Promise<BudgetTicket | BudgetRefusal> {
    const key = `${tenantId}\0${feature}`;
    for (let attempt = 0; attempt < 50; attempt++) {
      const lease = this.current(key);
      if (lease && lease.requests >= 1 && lease.usd >= estimateUsd) return this.take(lease, estimateUsd);
      const refusal = await this.acquire(key, tenantId, feature, estimateUsd);
      if (refusal) return refusal;
    }
    // Others keep taking the lease first: refuse this one (retry in a second) rather than let it through.
    return { ok: false, scope: feature, limit: 'usd_day', onHard: 'reject', downgradeModel: null, retryAfterS: 1 };
  }

  /**
   * Admission while Postgres cannot be asked: what is left of a lease first (it is reserved there
   * already), then at most `offlineShare` of each hard limit per window, counted here. Hard limits
   * stay hard: every gateway adds at most its share until Postgres is back.
   */
  admitOffline(
    tenantId: string,
    feature: string,
    estimateUsd: number,
    scopes: readonly HardLimits[],
  ): BudgetTicket | BudgetRefusal {
    const lease = this.current(`${tenantId}\0${feature}`);
    if (lease && lease.requests >= 1 && lease.usd >= estimateUsd) return this.take(lease, estimateUsd);
    const now = this.now();
    const minuteStart = now - (now % MINUTE);
    const dayStart = now - (now % DAY);
    const spent = scopes.map((scope) => {
      const key = `${tenantId}\0${scope.feature}`;
      let used = this.offline.get(key);
      if (!used || used.dayStart !== dayStart) used = { minuteStart, requests: 0, dayStart, usd: 0 };
      if (used.minuteStart !== minuteStart) used = { ...used, minuteStart, requests: 0 };
      this.offline.set(key, used);
      return { scope, used };
    });
    for (const { scope, used } of spent) {
      if (
        scope.rpmHard !== undefined &&
        used.requests + 1 > Math.max(1, Math.floor(scope.rpmHard * this.options.offlineShare))
      ) {
        return {
          ok: false,
          scope: scope.feature,
          limit: 'rpm',
          onHard: 'reject',
          downgradeModel: null,
          retryAfterS: Math.ceil((minuteStart + MINUTE - now) / 1000),
        };
      }
      if (scope.usdDayHard !== undefined && used.usd + estimateUsd > scope.usdDayHard * this.options.offlineShare) {
        return {
          ok: false,
          scope: scope.feature,
          limit: 'usd_day',
          onHard: 'reject',
          downgradeModel: null,
          retryAfterS: 5,
        };
      }
    }
    for (const { used } of spent) {
      used.requests += 1;
      used.usd += estimateUsd;
    }
    return {
      settle: (actualUsd) => {
        for (const { used } of spent) used.usd += actualUsd - estimateUsd;
        return { tenantId, feature, day: new Date(dayStart), actualUsd, reservedUsd: 0 };
      },
    };
  }

  /** Give every lease back (gateway shutdown). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    const all = [...this.leases.values()];
    this.leases.clear();
    await Promise.all(all.map((lease) => this.release(lease).catch(() => undefined)));
  }

  private current(key: string): Lease | undefined {
    const lease = this.leases.get(key);
    if (!lease) return undefined;
    const now = this.now();
    if (now - lease.minuteStart < MINUTE && now - lease.dayStart < DAY) return lease;
    // A new window: the old lease's requests count no more; its unspent USD goes back.
    this.leases.delete(key);
    void this.release(lease).catch(() => undefined);
    return undefined;
  }

  private take(lease: Lease, estimateUsd: number): BudgetTicket {
    lease.requests -= 1;
    lease.usd -= estimateUsd;
    lease.lastUsed = this.now();
    return {
      settle: (actualUsd) => {
        const settlement = {
          tenantId: lease.tenantId,
          feature: lease.feature,
          day: new Date(lease.dayStart),
          actualUsd,
          leaseId: lease.id,
        };
        if (lease.released) return { ...settlement, reservedUsd: estimateUsd };
        // What the estimate held beyond the real cost goes back into the lease.
        lease.usd += estimateUsd - actualUsd;
        return { ...settlement, reservedUsd: actualUsd };
      },
    };
  }

  /** One lease request per key at a time; concurrent callers wait for it and then try the lease again. */
  private acquire(
    key: string,
    tenantId: string,
    feature: string,
    estimateUsd: number,
  ): Promise<BudgetRefusal | undefined> {
    const running = this.acquiring.get(key);
    if (running)
      return running.then((refusal) => (refusal ? this.acquire(key, tenantId, feature, estimateUsd) : undefined));
    const work = (async (): Promise<BudgetRefusal | undefined> => {
      const existing = this.leases.get(key);
      const leaseId = existing && !existing.released ? existing.id : randomUUID();
      const { rows } = await this.pool.query<{ lease: unknown }>(
        'SELECT budget_lease_expiring($1, $2, $3, $4, $5, $6, $7, $8) AS lease',
        [
          leaseId,
          tenantId,
          feature,
          this.options.leaseRequests,
          estimateUsd * this.options.leaseEstimates,
          estimateUsd,
          new Date(this.now()),
          this.options.ttlMs,
        ],
      );
      const granted = leaseSchema.parse(rows[0]!.lease);
      if (!granted.ok) return granted;
      const minuteStart = Date.parse(granted.minuteStart);
      const dayStart = Date.parse(granted.dayStart);
      if (
        existing &&
        existing.id === leaseId &&
        existing.minuteStart === minuteStart &&
        existing.dayStart === dayStart
      ) {
        existing.requests += granted.requests;
        existing.usd += granted.usd;
        existing.renewedAt = this.now();
      } else {
        if (existing) void this.release(existing).catch(() => undefined);
        this.leases.set(key, {
          id: leaseId,
          renewedAt: this.now(),
          tenantId,
          feature,
          requests: granted.requests,
          usd: granted.usd,
          minuteStart,
          dayStart,
          lastUsed: this.now(),
          released: false,
        });
      }
      return undefined;
    })().finally(() => this.acquiring.delete(key));
    this.acquiring.set(key, work);
    return work;
  }

  private async releaseIdle(): Promise<void> {
    const now = this.now();
    for (const [key, lease] of this.leases) {
      if (now - lease.lastUsed < this.options.idleMs || this.acquiring.has(key)) continue;
      this.leases.delete(key);
      await this.release(lease).catch(() => {
        lease.released = false; // Postgres away: keep it and try later
        this.leases.set(key, lease);
      });
    }
  }

  /** Keep held leases from expiring: one statement for all that are due. */
  private async renew(): Promise<void> {
    const now = this.now();
    const due = [...this.leases.values()].filter((lease) => now - lease.renewedAt >= this.options.ttlMs / 3);
    if (!due.length) return;
    await this.pool
      .query(
        'UPDATE budget_leases SET expires_at = $2::timestamptz + make_interval(secs => $3::float8 / 1000) WHERE lease_id = ANY($1)',
        [due.map((l) => l.id), new Date(now), this.options.ttlMs],
      )
      .then(() => due.forEach((lease) => (lease.renewedAt = now)))
      .catch(() => undefined); // Postgres away: the lease may expire, which only gives budget back
  }

  private async release(lease: Lease): Promise<void> {
    lease.released = true;
    await this.pool.query('SELECT budget_release_lease($1, $2, $3, $4, $5, $6, $7)', [
      lease.id,
      lease.tenantId,
      lease.feature,
      Math.max(0, lease.requests),
      Math.max(0, lease.usd),
      new Date(lease.minuteStart),
      new Date(lease.dayStart),
    ]);
  }
}

export function isRefusal(result: BudgetTicket | BudgetRefusal): result is BudgetRefusal {
  return 'ok' in result;
}
