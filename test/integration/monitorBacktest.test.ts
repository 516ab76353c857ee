import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RequestLogWriter } from '../../src/telemetry/requestLogWriter';
import { runCli } from '../harness/cli';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { logEntry } from '../harness/logEntries';

/** Issue 13, item 3: `monitors backtest` replays a rule over the stored log and counts its alerts. */
let db: TestDatabase;
const HOUR = 3_600_000;
const hourStart = Math.floor(Date.now() / HOUR) * HOUR;

beforeAll(async () => {
  db = await createTestDatabase();
  const writer = new RequestLogWriter({
    pool: db.pool,
    spillDir: mkdtempSync(path.join(tmpdir(), 'fd-backtest-')),
    bodyRetentionDays: 30,
    flushIntervalMs: 60_000,
  });
  // 28 days of $1 an hour for two tenants (a baseline of the same hour on the same kind of day); one of
  // them spends $8 in a single hour two days ago.
  for (let h = 28 * 24; h >= 1; h--)
    for (const tenant of ['runaway', 'calm'])
      writer.write(
        logEntry(tenant, null, { ts: new Date(hourStart - h * HOUR + 10 * 60_000).toISOString(), cost_usd: 1 }),
      );
  for (let i = 0; i < 7; i++)
    writer.write(
      logEntry('runaway', null, { ts: new Date(hourStart - 48 * HOUR + 20 * 60_000 + i).toISOString(), cost_usd: 1 }),
    );
  await writer.close();
});
afterAll(() => db.drop());

it('finds the one spike of the last week at its hour, nothing for the calm tenant, and raises nothing', async () => {
  const result = await runCli(
    ['monitors', 'backtest', 'tenant-cost-spike', '--since', '5d', '--step', '30', '--json'],
    {
      DATABASE_URL: db.url,
    },
  );
  expect(result.code).toBe(0);
  const report = JSON.parse(result.stdout);
  expect(report.alerts).toHaveLength(1);
  expect(report.alerts[0].key).toBe('tenant-cost-spike:tenant=runaway');
  const fired = Date.parse(report.alerts[0].firedAt);
  expect(fired).toBeGreaterThan(hourStart - 48 * HOUR);
  expect(fired).toBeLessThanOrEqual(hourStart - 47 * HOUR + 30 * 60_000);
  expect(report.alertsPerWeek).toBeCloseTo(1.4, 1);
  expect(report.passes).toBe(5 * 48);
  const raised = await db.pool.query('SELECT count(*)::int AS n FROM monitor_alerts');
  expect(raised.rows[0].n).toBe(0);

  const unknown = await runCli(['monitors', 'backtest', 'nope'], { DATABASE_URL: db.url });
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toMatch(/No rule "nope"; the rules are tenant-cost-spike/);
});
