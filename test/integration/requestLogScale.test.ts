import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { foldRollupDeltas } from '../../src/monitoring/rollups';
import { RequestLogPartitions } from '../../src/telemetry/requestLogPartitions';
import { RequestLogWriter } from '../../src/telemetry/requestLogWriter';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { logEntry } from '../harness/logEntries';

/** Issue 13, item 1: day partitions across midnight, retention by dropping them, rollups as rows arrive. */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const DAY_MS = 86_400_000;
const utcMidnight = (daysAgo: number) => Math.floor(Date.now() / DAY_MS) * DAY_MS - daysAgo * DAY_MS;
// Each writer runs its retention pass on its first flush (rows 90 days, bodies as given).
const writer = (bodyRetentionDays = 30) =>
  new RequestLogWriter({
    pool: db.pool,
    spillDir: mkdtempSync(path.join(tmpdir(), 'fd-scale-')),
    bodyRetentionDays,
    flushIntervalMs: 60_000,
  });
const partitionExists = async (name: string) =>
  (await db.pool.query('SELECT 1 FROM pg_class WHERE relname = $1', [name])).rowCount === 1;

/** A day's rollup for a tenant as readers see it: folded rollups plus deltas not folded yet. */
async function dayRollup(tenant: string, day: number) {
  const { rows } = await db.pool.query(
    `SELECT sum(requests)::int AS requests, sum(errors)::int AS errors, rollup_counts_sum(errors_by_class) AS errors_by_class,
       sum(cost_usd)::float8 AS cost, sum((SELECT sum(x) FROM unnest(latency_hist) x))::int AS timed
     FROM request_rollups_all WHERE grain = 'day' AND tenant_id = $1 AND bucket = $2 HAVING count(*) > 0`,
    [tenant, new Date(day)],
  );
  return rows[0];
}

it('stores rows either side of midnight in their own day partitions, creating a partition the first time a day is seen', async () => {
  const midnight = utcMidnight(20); // a day no migration created partitions for
  const before = logEntry('night', null, { ts: new Date(midnight - 1).toISOString() });
  const after = logEntry('night', null, { ts: new Date(midnight).toISOString() });
  const log = writer();
  log.write(before);
  log.write(after);
  await log.close();
  const { rows } = await db.pool.query(
    `SELECT request_id, tableoid::regclass::text AS part FROM requests WHERE tenant_id = 'night' ORDER BY ts`,
  );
  const day = (t: number) => new Date(t).toISOString().slice(0, 10).replace(/-/g, '');
  expect(rows).toEqual([
    { request_id: before.record.request_id, part: `requests_${day(midnight - 1)}` },
    { request_id: after.record.request_id, part: `requests_${day(midnight)}` },
  ]);
  const bodies = await db.pool.query(
    `SELECT tableoid::regclass::text AS part FROM request_bodies WHERE tenant_id = 'night' ORDER BY ts`,
  );
  expect(bodies.rows.map((r: { part: string }) => r.part)).toEqual([
    `request_bodies_${day(midnight - 1)}`,
    `request_bodies_${day(midnight)}`,
  ]);
  expect((await dayRollup('night', midnight - DAY_MS))?.requests).toBe(1);
  expect((await dayRollup('night', midnight))?.requests).toBe(1);
});

it('keeps rollups as rows arrive, and a replay of stored rows (a spill file) does not count them twice', async () => {
  const day = utcMidnight(0);
  const entries = [
    logEntry('roll', null, { cost_usd: 0.25, latency_ms_total: 30 }),
    logEntry('roll', null, { cost_usd: 0.5, latency_ms_total: 3000, status: 502, error_class: 'provider_error' }),
  ];
  const log = writer();
  for (const e of entries) log.write(e);
  await log.flush();
  const first = await dayRollup('roll', day);
  expect(first).toMatchObject({ requests: 2, errors: 1, errors_by_class: { provider_error: 1 }, cost: 0.75, timed: 2 });
  // The same rows again, as a replayed spill file would bring them.
  for (const e of entries) log.write(e);
  log.write(logEntry('roll', null, { cost_usd: 1 }));
  await log.close();
  expect(await dayRollup('roll', day)).toMatchObject({ requests: 3, errors: 1, cost: 1.75 });
});

it('folds deltas into one rollup row per key, exactly once even when two processes fold at once', async () => {
  const day = utcMidnight(0);
  const log = writer();
  for (let i = 0; i < 40; i++)
    log.write(logEntry('fold', null, { cost_usd: 0.01, status: i % 10 ? 200 : 500, error_class: i % 10 ? null : 'x' }));
  await log.flush();
  log.write(logEntry('fold', null, { cost_usd: 0.01 }));
  await log.close();
  const before = await dayRollup('fold', day);
  expect(before).toMatchObject({ requests: 41, errors: 4, errors_by_class: { x: 4 }, timed: 41 });
  const folded = await Promise.all([foldRollupDeltas(db.pool), foldRollupDeltas(db.pool), foldRollupDeltas(db.pool)]);
  expect(folded).toContain(true);
  await foldRollupDeltas(db.pool);
  expect(await dayRollup('fold', day)).toEqual(before);
  const stored = await db.pool.query(
    `SELECT count(*)::int AS n FROM request_rollups WHERE grain = 'day' AND tenant_id = 'fold'`,
  );
  expect(stored.rows[0].n).toBe(1);
  const left = await db.pool.query(`SELECT count(*)::int AS n FROM request_rollup_deltas WHERE tenant_id = 'fold'`);
  expect(left.rows[0].n).toBe(0);
});

it('retention drops whole day partitions past the limit (rows and bodies on their own clocks); rollups stay', async () => {
  const old = utcMidnight(100) + 3_600_000;
  const recent = utcMidnight(10) + 3_600_000;
  const day = (t: number) => new Date(t).toISOString().slice(0, 10).replace(/-/g, '');
  const log = writer(7);
  const recentEntry = logEntry('aged', null, { ts: new Date(recent).toISOString() });
  log.write(logEntry('aged', null, { ts: new Date(old).toISOString() }));
  log.write(recentEntry);
  await log.close(); // stores both, then its retention pass drops what is past 90 days (rows) and 7 (bodies)
  expect(await partitionExists(`requests_${day(old)}`)).toBe(false);
  expect(await partitionExists(`request_bodies_${day(old)}`)).toBe(false);
  expect(await partitionExists(`request_bodies_${day(recent)}`)).toBe(false);
  expect(await partitionExists(`requests_${day(recent)}`)).toBe(true);
  const rows = await db.pool.query(`SELECT request_id FROM requests WHERE tenant_id = 'aged'`);
  expect(rows.rows.map((r: { request_id: string }) => r.request_id)).toEqual([recentEntry.record.request_id]);
  const bodies = await db.pool.query(`SELECT count(*)::int AS n FROM request_bodies WHERE tenant_id = 'aged'`);
  expect(bodies.rows[0].n).toBe(0);
  expect((await dayRollup('aged', utcMidnight(100)))?.requests).toBe(1);
  // Nothing left to drop: a second pass is a no-op.
  expect(await new RequestLogPartitions().dropExpired(db.pool, 90, 7)).toEqual([]);

  // A row of a dropped day that arrives late (a very old spill file) gets its partition again, so it is not refused.
  const late = logEntry('late', null, { ts: new Date(old + 1000).toISOString() });
  await new RequestLogPartitions().ensure(db.pool, [late.record.ts]);
  expect(await partitionExists(`requests_${day(old)}`)).toBe(true);
});

it('stores batches in flight together that each open new days: every row lands, none is set aside', async () => {
  let setAside = 0;
  const log = new RequestLogWriter({
    pool: db.pool,
    spillDir: mkdtempSync(path.join(tmpdir(), 'fd-scale-')),
    bodyRetentionDays: 30,
    flushIntervalMs: 60_000,
    batchSize: 10,
    onSetAside: (count) => (setAside += count),
  });
  // Ten days no partition exists for yet, each batch spanning all of them.
  const entries = Array.from({ length: 200 }, (_, i) =>
    logEntry('fresh-days', null, { ts: new Date(utcMidnight(40 + (i % 10)) + 3_600_000).toISOString() }),
  );
  for (const entry of entries) log.write(entry);
  await log.close();
  expect(setAside).toBe(0);
  const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM requests WHERE tenant_id = 'fresh-days'`);
  expect(rows[0].n).toBe(200);
});

it('the folder gives back the space of the deltas it folded: the table does not grow with traffic', async () => {
  const deltasBytes = async () =>
    Number((await db.pool.query(`SELECT pg_relation_size('request_rollup_deltas') AS b`)).rows[0].b);
  const log = writer();
  // Every row its own series, so none merge: 4,000 deltas, about 3 MB before the fold.
  for (let i = 0; i < 4000; i++) log.write(logEntry(`spread-${i}`));
  await log.close();
  expect((await db.pool.query('SELECT count(*)::int AS n FROM request_rollup_deltas')).rows[0].n).toBe(0);
  expect(await deltasBytes()).toBeLessThan(64 * 1024);
});
