import { z } from 'zod';
import type { Pool } from '../db/pool';
import type { Settlement } from './settlement';

const leaseSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), requests: z.number(), usd: z.coerce.number(), minuteStart: z.string(), dayStart: z.string() }),
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
}

const DEFAULTS: LeaseOptions = { leaseRequests: 50, leaseEstimates: 20, idleMs: 2000 };
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
  private readonly acquiring = new Map<string, Promise<BudgetRefusal | undefined>>();
  private readonly timer: NodeJS.Timeout;
  private readonly options: LeaseOptions;

  constructor(
    private readonly pool: Pool,
    options: Partial<LeaseOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.options = { ...DEFAULTS, ...options };
    this.timer = setInterval(() => void this.releaseIdle(), Math.max(250, this.options.idleMs / 2));
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
    throw new Error(`budget lease for ${tenantId} kept running out under contention`);
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
        const settlement = { tenantId: lease.tenantId, feature: lease.feature, day: new Date(lease.dayStart), actualUsd };
        if (lease.released) return { ...settlement, reservedUsd: estimateUsd };
        // What the estimate held beyond the real cost goes back into the lease.
        lease.usd += estimateUsd - actualUsd;
        return { ...settlement, reservedUsd: actualUsd };
      },
    };
  }

  /** One lease request per key at a time; concurrent callers wait for it and then try the lease again. */
  private acquire(key: string, tenantId: string, feature: string, estimateUsd: number): Promise<BudgetRefusal | undefined> {
    const running = this.acquiring.get(key);
    if (running) return running.then((refusal) => (refusal ? this.acquire(key, tenantId, feature, estimateUsd) : undefined));
    const work = (async (): Promise<BudgetRefusal | undefined> => {
      const { rows } = await this.pool.query<{ lease: unknown }>('SELECT budget_lease($1, $2, $3, $4, $5, $6) AS lease', [
        tenantId,
        feature,
        this.options.leaseRequests,
        estimateUsd * this.options.leaseEstimates,
        estimateUsd,
        new Date(this.now()),
      ]);
      const granted = leaseSchema.parse(rows[0]!.lease);
      if (!granted.ok) return granted;
      const minuteStart = Date.parse(granted.minuteStart);
      const dayStart = Date.parse(granted.dayStart);
      const existing = this.leases.get(key);
      if (existing && existing.minuteStart === minuteStart && existing.dayStart === dayStart) {
        existing.requests += granted.requests;
        existing.usd += granted.usd;
      } else {
        if (existing) void this.release(existing).catch(() => undefined);
        this.leases.set(key, { tenantId, feature, requests: granted.requests, usd: granted.usd, minuteStart, dayStart, lastUsed: this.now(), released: false });
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

  private async release(lease: Lease): Promise<void> {
    lease.released = true;
    await this.pool.query('SELECT budget_release($1, $2, $3, $4, $5, $6)', [
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
