import { runMonitorPass } from '../../src/monitoring/monitorPass';
import { DEFAULT_MONITOR_RULES } from '../../src/monitoring/monitorRules';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { logEntry, storeEntries } from '../harness/logEntries';

/**
 * Issue 13, cost anomalies (seed 000: "per-request cost 5× normal"): a tenant whose calls start
 * costing five times more is caught within minutes, from a handful of calls; a tenant that only
 * sends more calls of the usual price is not this rule's business, and a quiet one is undecided.
 */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

const HOUR = 3_600_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const calls = (tenant: string, count: number, at: (i: number) => number, cost: (i: number) => number) =>
  Array.from({ length: count }, (_, i) => logEntry(tenant, null, { ts: ago(at(i)), cost_usd: cost(i) }));

it("fires when a tenant's calls cost five times more, not when it only calls more, and not on a handful", async () => {
  const usual = (i: number) => 0.01 * (1 + ((i * 7) % 5) / 10);
  await storeEntries(db.pool, [
    // Thirty hours of ordinary calls (ten an hour, about a cent each) for every tenant, three hours back and more.
    ...['pricier', 'busier', 'quiet'].flatMap((tenant) =>
      calls(tenant, 300, (i) => 3 * HOUR + Math.floor(i / 10) * HOUR + (i % 10) * 60_000, usual),
    ),
    // The last four minutes: pricier's calls cost five times more; busier sends 40 ordinary ones; quiet sends two.
    ...calls(
      'pricier',
      8,
      (i) => 30_000 + i * 20_000,
      (i) => 5 * usual(i),
    ),
    ...calls('busier', 40, (i) => 30_000 + i * 5_000, usual),
    ...calls(
      'quiet',
      2,
      (i) => 30_000 + i * 20_000,
      (i) => 5 * usual(i),
    ),
  ]);
  const rule = DEFAULT_MONITOR_RULES.find((r) => r.id === 'tenant-cost-per-request')!;
  const pass = await runMonitorPass(db.pool, [rule]);
  expect(pass.alerts.map((a) => a.key)).toEqual(['tenant-cost-per-request:tenant=pricier']);
  expect(pass.alerts[0]!.summary).toMatch(/against a baseline median of 0\.01\d* \(\+\d{3}\.\d\d%/);
  expect(pass.lowVolume).toBeGreaterThanOrEqual(1); // quiet: two calls are too few to judge
});
