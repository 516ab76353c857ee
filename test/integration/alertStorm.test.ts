import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { muteKey } from '../../src/monitoring/alertStore';
import { loadMonitorRules } from '../../src/monitoring/monitorRules';
import { runMonitorPass } from '../../src/monitoring/monitorPass';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { logEntry, storeEntries } from '../harness/logEntries';

/**
 * Issue 13, monitors in every state: an alert storm (every tenant failing at once) is raised
 * concurrently, and still one alert per series: no key raised twice, none lost; the next pass
 * updates them all in one statement, except a key muted meanwhile.
 */
let db: TestDatabase;
const TENANTS = 150;

beforeAll(async () => {
  db = await createTestDatabase();
  await storeEntries(
    db.pool,
    Array.from({ length: TENANTS * 25 }, (_, i) =>
      logEntry(`storm-${i % TENANTS}`, null, {
        ts: new Date(Date.now() - 60_000 - (i % 60) * 1000).toISOString(),
        status: 502,
        error_class: 'provider_error',
      }),
    ),
  );
});

afterAll(async () => {
  await db?.drop();
});

it('a storm of 150 series firing at once raises one alert each, then finds them still firing', async () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'fd-storm-')), 'monitors.yaml');
  writeFileSync(
    file,
    'rules:\n  - { id: tenant-availability, metric: server_error_rate, by: [tenant], detector: { kind: burn_rate } }\n',
  );
  const rules = loadMonitorRules(file);
  const first = await runMonitorPass(db.pool, rules);
  expect(first).toMatchObject({ firing: TENANTS, raised: TENANTS });
  expect(new Set(first.alerts.map((a) => a.key)).size).toBe(TENANTS);

  // The next pass updates the open alerts at once; a key muted meanwhile reads muted and keeps its old numbers.
  const muted = 'tenant-availability:tenant=storm-7';
  await muteKey(db.pool, muted, 60, 'known: the storm test', 'oncall');
  await db.pool.query(`UPDATE monitor_alerts SET numbers = '{"stale": 1}' WHERE rule_id = 'tenant-availability'`);
  const second = await runMonitorPass(db.pool, rules);
  expect(second).toMatchObject({ firing: TENANTS, raised: 0 });
  expect(second.alerts.filter((a) => a.outcome !== 'still_firing')).toEqual([
    expect.objectContaining({ key: muted, outcome: 'muted' }),
  ]);
  const stale = await db.pool.query(
    `SELECT key FROM monitor_alerts WHERE rule_id = 'tenant-availability' AND numbers ? 'stale'`,
  );
  expect(stale.rows).toEqual([{ key: muted }]);
  const { rows } = await db.pool.query(
    `SELECT count(*)::int AS alerts, count(DISTINCT key)::int AS keys FROM monitor_alerts WHERE rule_id = 'tenant-availability'`,
  );
  expect(rows[0]).toEqual({ alerts: TENANTS, keys: TENANTS });
});
