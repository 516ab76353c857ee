import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createPool } from '../../src/db/pool';
import { RequestLogWriter } from '../../src/telemetry/requestLogWriter';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { freePort } from '../harness/freePort';
import { logEntry as entry } from '../harness/logEntries';

/**
 * Issue 10, items 12 and 13: one bad row must not cost other tenants theirs, and when neither
 * Postgres nor the disk takes rows, nothing acknowledged is dropped and no line is printed twice.
 */
function lines(): { stream: Writable; printed: string[] } {
  const printed: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      printed.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { stream, printed };
}

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

it('rows Postgres refuses are set aside on their own; the rest of its batch, other tenants included, is stored (item 12)', async () => {
  const spillDir = mkdtempSync(path.join(tmpdir(), 'fd-poison-'));
  let setAside = 0;
  const writer = new RequestLogWriter({
    pool: db.pool,
    spillDir,
    bodyRetentionDays: 1,
    flushIntervalMs: 60_000,
    onSetAside: (n) => (setAside += n),
  });
  // A NUL that got past every boundary (say an old prompt template): jsonb cannot hold it.
  const poisoned = entry('mallory', 'a\u0000b');
  const poisonedToo = entry('mallory', 'c\u0000d');
  const others = Array.from({ length: 50 }, (_, i) => entry(`tenant-${i % 5}`));
  // Two bad rows far apart in one batch: the halving finds both.
  for (const e of [...others.slice(0, 10), poisoned, ...others.slice(10, 40), poisonedToo, ...others.slice(40)])
    writer.write(e);
  await writer.flush();
  const stored = await db.pool.query('SELECT count(*)::int AS n FROM requests WHERE request_id = ANY($1)', [
    others.map((e) => e.record.request_id),
  ]);
  expect(stored.rows[0].n).toBe(50);
  expect(setAside).toBe(2);
  const rejected = readdirSync(path.join(spillDir, 'rejected'))
    .map((file) => readFileSync(path.join(spillDir, 'rejected', file), 'utf8'))
    .join('');
  expect(rejected).toContain(poisoned.record.request_id);
  expect(rejected).toContain(poisonedToo.record.request_id);
  await writer.close();

  // A spill file with the same poison replays too: the bad row is set aside, the file does not stay stuck.
  const replayDir = mkdtempSync(path.join(tmpdir(), 'fd-poison-replay-'));
  const fromSpill = [entry('tenant-a'), entry('mallory', 'x\u0000y'), entry('tenant-b')];
  // Left by a gateway that is gone (a pid nobody has).
  writeFileSync(
    path.join(replayDir, 'requests-4194304-1.jsonl'),
    fromSpill.map((e) => `${JSON.stringify(e)}\n`).join(''),
  );
  const replayer = new RequestLogWriter({
    pool: db.pool,
    spillDir: replayDir,
    bodyRetentionDays: 1,
    flushIntervalMs: 60_000,
  });
  await replayer.flush();
  const replayed = await db.pool.query('SELECT count(*)::int AS n FROM requests WHERE request_id = ANY($1)', [
    [fromSpill[0]!.record.request_id, fromSpill[2]!.record.request_id],
  ]);
  expect(replayed.rows[0].n).toBe(2);
  expect(readdirSync(replayDir).filter((f) => f.endsWith('.jsonl'))).toEqual([]);
  await replayer.close();
});

it('with Postgres away and the disk refusing spill files, rows are kept (bounded), printed once, and the gateway stops acknowledging (item 13)', async () => {
  // Postgres away: a real pool pointed at a port nobody listens on. Disk refusing: the spill folder's parent is a file.
  const deadPool = createPool(`postgres://postgres@127.0.0.1:${await freePort()}/postgres`, 2, {
    connectionTimeoutMillis: 200,
  });
  const blocker = path.join(mkdtempSync(path.join(tmpdir(), 'fd-full-')), 'not-a-folder');
  writeFileSync(blocker, '');
  const { stream, printed } = lines();
  const writer = new RequestLogWriter({
    pool: deadPool,
    spillDir: path.join(blocker, 'spill'),
    bodyRetentionDays: 1,
    jsonLines: stream,
    flushIntervalMs: 60_000,
    maxBuffer: 100,
    batchSize: 20,
  });
  const written = Array.from({ length: 150 }, () => entry('steady'));
  for (const e of written.slice(0, 60)) writer.write(e);
  await writer.flush();
  await writer.flush();
  expect(writer.accepting()).toBe(true);
  for (const e of written.slice(60)) writer.write(e);
  await writer.flush();
  await writer.flush();
  await writer.flush();
  // Nothing dropped: every acknowledged row is still held; past maxBuffer the gateway refuses new requests.
  expect(writer.depth()).toBe(150);
  expect(writer.accepting()).toBe(false);
  // Each row's line printed exactly once, however many flushes retried it.
  const ids = printed.map((line) => (JSON.parse(line) as { request_id: string }).request_id);
  expect(ids.length).toBe(new Set(ids).size);
  expect(new Set(ids)).toEqual(new Set(written.map((e) => e.record.request_id)));
  await deadPool.end();
});
