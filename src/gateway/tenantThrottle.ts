/** What a throttled tenant may still send: a rate per minute, or nothing. */
export interface Throttle {
  tenantId: string;
  rpm: number | null;
}

interface Bucket {
  rpm: number;
  tokens: number;
  at: number;
}

/**
 * Token buckets of throttled tenants, one per tenant in this gateway process: `rpm` requests a
 * minute, in bursts of at most a tenth of it (a loop must not spend a minute's allowance in its
 * first second). Returns 0 when the request may go, else the seconds until it could.
 */
export class ThrottleBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  admit({ tenantId, rpm }: Throttle): number {
    if (rpm === null) return 60;
    const burst = Math.max(1, rpm / 10);
    const now = this.now();
    let bucket = this.buckets.get(tenantId);
    if (!bucket || bucket.rpm !== rpm) {
      bucket = { rpm, tokens: burst, at: now };
      this.buckets.set(tenantId, bucket);
    }
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 60_000) * rpm);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - bucket.tokens) * 60) / rpm));
  }
}
