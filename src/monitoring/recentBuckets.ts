import type { Pool } from '../db/pool';
import { FOLD_LOG_HOURS } from './rollups';
import type { Row } from './ruleScope';

export type RecentGrain = 'minute' | 'hour';
const STEP_MS: Record<RecentGrain, number> = { minute: 60_000, hour: 3_600_000 };
/** A bucket cached longer ago than this is read again whatever the fold log says (it keeps a day). */
const MAX_AGE_MS = (FOLD_LOG_HOURS / 4) * 3_600_000;
const MAX_QUERIES = 64;
const EVICT_SLACK_MS = 3_600_000;

interface CachedBucket {
  rows: Row[];
  /** Database time just before the read (ms). */
  readAt: number;
}

// Per database and query: each bucket's rows as last read.
const caches = new WeakMap<Pool, Map<string, Map<number, CachedBucket>>>();

/**
 * The rows of a per-bucket query (`$1` the first bucket, `$2` the end; it selects `bucket` and groups
 * by it) for the buckets from `from` to `now`, read again only where the rollups changed since: a
 * bucket with deltas not folded yet, or one the fold logged after it was read. A pass a minute
 * over an hour's windows then reads a minute or two of rollups, not sixty: re-reading every window
 * of every series was most of a pass's time at 1,000 tenants (docs/scale.md).
 */
export async function recentBuckets(
  pool: Pool,
  grain: RecentGrain,
  sql: string,
  from: Date,
  now: Date,
): Promise<Row[]> {
  const step = STEP_MS[grain];
  const first = Math.ceil(from.getTime() / step) * step; // buckets starting at `from` or later, as `bucket >= $1`
  const starts: number[] = [];
  for (let start = first; start < now.getTime(); start += step) starts.push(start);

  let byQuery = caches.get(pool);
  if (!byQuery) caches.set(pool, (byQuery = new Map()));
  let cache = byQuery.get(sql);
  if (!cache) {
    if (byQuery.size >= MAX_QUERIES) byQuery.delete(byQuery.keys().next().value!);
    byQuery.set(sql, (cache = new Map()));
  }
  // Buckets before the window go, with an hour's slack: a read ahead (prefetchBaselines) must not
  // evict what the live pass reads next.
  for (const start of cache.keys()) if (start < first - EVICT_SLACK_MS) cache.delete(start);

  const oldest = Math.min(...[...cache.values()].map((b) => b.readAt));
  const { readAt, changed } = await changesSince(pool, Number.isFinite(oldest) ? oldest : 0, step);
  const stale = (start: number) => {
    const cached = cache.get(start);
    if (!cached || readAt - cached.readAt > MAX_AGE_MS) return true;
    const changedAt = changed.get(start);
    // Exact with one clock: a delta committed after a read's snapshot is folded later still (the fold
    // stamps clock time after its own snapshot), and one folded after the snapshot was still a delta in it.
    return changedAt !== undefined && changedAt >= cached.readAt;
  };
  const toRead = starts.filter(stale);
  // Contiguous runs of stale buckets, one query each.
  const reads: Array<Promise<void>> = [];
  for (let i = 0; i < toRead.length;) {
    let j = i;
    while (j + 1 < toRead.length && toRead[j + 1] === toRead[j]! + step) j++;
    const [runFirst, runLast] = [toRead[i]!, toRead[j]!];
    reads.push(
      pool.query<Row>(sql, [new Date(runFirst), new Date(runLast + step)]).then(({ rows }) => {
        const fresh = new Map<number, Row[]>();
        for (let start = runFirst; start <= runLast; start += step) fresh.set(start, []);
        for (const row of rows) fresh.get(bucketMs(row, step))?.push(row);
        for (const [start, bucketRows] of fresh) cache.set(start, { rows: bucketRows, readAt });
      }),
    );
    i = j + 1;
  }
  await Promise.all(reads);
  return starts.flatMap((start) => cache.get(start)?.rows ?? []);
}

/** When each bucket last changed (grain-aligned), and the database's time before reading anything. */
async function changesSince(db: Pool, since: number, step: number) {
  // Times as epoch ms; a minute with deltas not folded yet has changed "at infinity" (always stale).
  const { rows } = await db.query<{ read_at: number; bucket: number | null; changed_at: number | null }>(
    `SELECT extract(epoch FROM now())::float8 * 1000 AS read_at, c.bucket, c.changed_at FROM (SELECT 1) one LEFT JOIN (
       SELECT extract(epoch FROM bucket)::float8 * 1000 AS bucket, extract(epoch FROM folded_at)::float8 * 1000 AS changed_at
       FROM request_rollup_folds WHERE folded_at >= $1
       UNION ALL SELECT DISTINCT extract(epoch FROM bucket)::float8 * 1000, 'Infinity'::float8 FROM request_rollup_deltas) c ON true`,
    [new Date(since)],
  );
  const changes = new Map<number, number>();
  for (const row of rows) {
    if (row.bucket === null) continue;
    const start = Math.floor(row.bucket / step) * step;
    changes.set(start, Math.max(row.changed_at!, changes.get(start) ?? -Infinity));
  }
  return { readAt: rows[0]!.read_at, changed: changes };
}

function bucketMs(row: Row, step: number): number {
  const bucket = row.bucket as unknown as Date;
  return Math.floor(bucket.getTime() / step) * step;
}

/**
 * Sums of `columns` per series over windows that start at each of `starts` (ms) and run to the
 * end of the rows: sums[k][c] for window k and column c. Rows carry their `bucket`.
 */
export function windowSums(
  rows: readonly Row[],
  starts: readonly number[],
  idOf: (row: Row) => string,
  columns: readonly string[],
): Map<string, { row: Row; sums: number[][] }> {
  const series = new Map<string, { row: Row; sums: number[][] }>();
  for (const row of rows) {
    const id = idOf(row);
    let entry = series.get(id);
    if (!entry) series.set(id, (entry = { row, sums: starts.map(() => columns.map(() => 0)) }));
    const at = (row.bucket as unknown as Date).getTime();
    for (let k = 0; k < starts.length; k++) {
      if (at < starts[k]!) continue;
      const sums = entry.sums[k]!;
      for (let c = 0; c < columns.length; c++) sums[c]! += Number(row[columns[c]!]);
    }
  }
  return series;
}
