import { appendRollupDeltas } from '../../src/monitoring/rollups';
import { recentBuckets, windowSums } from '../../src/monitoring/recentBuckets';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { logEntry, storeEntries } from '../harness/logEntries';

/**
 * Issue 13 (a monitor pass in 2 s): recent rollups are read once and again only where the fold
 * says they changed, so late rows are never missed and unchanged minutes are never re-read.
 */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const MINUTE = 60_000;
const SQL = `SELECT bucket, tenant_id AS d0, sum(requests)::float8 AS n FROM request_rollups_all
  WHERE grain = 'minute' AND bucket >= $1 AND bucket < $2 AND tenant_id LIKE 'recent-%' GROUP BY bucket, d0`;
const minuteAgo = (minutes: number) => new Date(Math.floor(Date.now() / MINUTE) * MINUTE - minutes * MINUTE + 5000);
const entries = (tenant: string, count: number, at: Date) =>
  Array.from({ length: count }, () => logEntry(tenant, null, { ts: at.toISOString() }));

/** The tenant's total over the last 30 minutes, and the rollup ranges read to get it. */
async function read(): Promise<{ totals: Record<string, number>; ranges: Array<[string, string]> }> {
  const spy = jest.spyOn(db.pool, 'query'); // passes through to Postgres; only records the calls
  try {
    const now = new Date();
    const rows = await recentBuckets(db.pool, 'minute', SQL, new Date(now.getTime() - 30 * MINUTE), now);
    const sums = windowSums(rows, [now.getTime() - 30 * MINUTE], (row) => String(row.d0), ['n']);
    const ranges = (spy.mock.calls as unknown as Array<[string, Date[]]>)
      .filter(([text]) => text === SQL)
      .map(([, values]) => [values[0]!.toISOString(), values[1]!.toISOString()] as [string, string]);
    return { totals: Object.fromEntries([...sums].map(([id, { sums: s }]) => [id, s[0]![0]!])), ranges };
  } finally {
    spy.mockRestore();
  }
}

it('reads the window once, then only the minutes folded since, and sees a late row in an old minute', async () => {
  await storeEntries(db.pool, [...entries('recent-a', 10, minuteAgo(10)), ...entries('recent-b', 3, minuteAgo(2))]);
  const first = await read();
  expect(first.totals).toEqual({ 'recent-a': 10, 'recent-b': 3 });
  expect(first.ranges).toHaveLength(1); // the whole window, in one query

  const again = await read();
  expect(again.totals).toEqual(first.totals);
  expect(again.ranges).toEqual([]); // nothing changed: nothing re-read

  // A spill file replayed late: rows of a minute twenty minutes back.
  const late = minuteAgo(20);
  await storeEntries(db.pool, entries('recent-a', 5, late));
  const after = await read();
  expect(after.totals).toEqual({ 'recent-a': 15, 'recent-b': 3 });
  const minuteStart = new Date(Math.floor(late.getTime() / MINUTE) * MINUTE);
  expect(after.ranges).toEqual([[minuteStart.toISOString(), new Date(minuteStart.getTime() + MINUTE).toISOString()]]);
});

it('re-reads a minute whose deltas are not folded yet, every time until folded', async () => {
  const at = minuteAgo(5);
  await read(); // cache the window
  // Appended as a writer does, but nobody folds: the readers' view already counts them.
  await appendRollupDeltas(
    db.pool,
    entries('recent-c', 4, at).map((e) => e.record),
  );
  for (let i = 0; i < 2; i++) {
    const { totals, ranges } = await read();
    expect(totals['recent-c']).toBe(4);
    expect(ranges).toHaveLength(1);
  }
});

it('sums each series over windows of different lengths', () => {
  const rows = [0, 1, 2, 3].map((m) => ({ bucket: new Date(m * MINUTE) as unknown as string, d0: 's', n: m + 1 }));
  const sums = windowSums(rows, [2 * MINUTE, 0], (row) => String(row.d0), ['n']);
  expect(sums.get('s')!.sums).toEqual([[7], [10]]);
});
