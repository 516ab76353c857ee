import type { Pool } from '../db/pool';

/** The UTC day (YYYY-MM-DD) of a row's timestamp: the partition it belongs to. */
export function partitionDay(ts: string): string {
  return new Date(ts).toISOString().slice(0, 10);
}

/**
 * The day partitions of requests and request_bodies: created the first time this process stores a
 * row of a day (so a new day, or a spill replay of an old one, never fails for want of one), and
 * dropped whole once past retention.
 */
export class RequestLogPartitions {
  /** Days this process has made sure of; forgotten when a drop or a refusal says otherwise. */
  private readonly ready = new Set<string>();

  /**
   * Make sure the partitions for these rows' days exist, committed before the rows' transaction
   * starts: a day is marked ready only once its partition is visible to every batch (marked inside
   * an open transaction, a second batch in flight could find it ready but not there).
   */
  async ensure(pool: Pool, timestamps: readonly string[]): Promise<void> {
    for (const day of new Set(timestamps.map(partitionDay))) {
      if (this.ready.has(day)) continue;
      await pool.query('SELECT request_log_partition($1::date)', [day]);
      this.ready.add(day);
    }
  }

  /** Another process dropped a partition this one thought was there: look again next time. */
  forget(): void {
    this.ready.clear();
  }

  /** Drop row partitions older than rowDays and body partitions older than bodyDays; returns their names. */
  async dropExpired(pool: Pool, rowDays: number, bodyDays: number): Promise<string[]> {
    const dropped: string[] = [];
    for (const [table, days] of [
      ['requests', rowDays],
      ['request_bodies', bodyDays],
    ] as const) {
      const { rows } = await pool.query<{ name: string }>(
        `SELECT request_log_drop_before($1, (now() AT TIME ZONE 'UTC')::date - $2::int) AS name`,
        [table, Math.ceil(days)],
      );
      dropped.push(...rows.map((row) => row.name));
    }
    if (dropped.length) this.forget();
    return dropped;
  }
}
