import { runMonitorPass } from '../../src/monitoring/monitorPass';
import { createTestDatabase, type TestDatabase } from '../harness/database';

/**
 * Issue 15: a playbook that has not passed a drill in 92 days is an alert of the monitor pass, and
 * the alert resolves once its drill passes again. An installation that never drilled hears nothing.
 */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

const drill = (id: string, kind: string, status: string, daysAgo: number, dryRun = false) =>
  db.pool.query(
    `INSERT INTO drill_runs (workflow_id, kind, tenant_id, dry_run, status, started_at, ended_at)
     VALUES ($1, $2, 'flightdeck-drills', $3, $4, now() - $5 * interval '1 day', now() - $5 * interval '1 day')`,
    [id, kind, dryRun, status, daysAgo],
  );
const alerts = async () =>
  (await db.pool.query("SELECT key, state, severity FROM monitor_alerts WHERE rule_id = 'drill-overdue' ORDER BY key"))
    .rows;

it('raises drill-overdue for a kind not passed in 92 days, and resolves it after a pass', async () => {
  await runMonitorPass(db.pool, []);
  expect(await alerts()).toEqual([]);

  await drill('drill/provider-kill/q1', 'provider-kill', 'passed', 120);
  await drill('drill/provider-kill/q2', 'provider-kill', 'failed', 30);
  await drill('drill/provider-kill/dry', 'provider-kill', 'passed', 2, true); // a dry run proves nothing
  await drill('drill/prompt-rollback/q2', 'prompt-rollback', 'passed', 10);
  const summary = await runMonitorPass(db.pool, []);
  expect(summary.alerts).toEqual([
    expect.objectContaining({
      key: 'drill-overdue:kind=provider-kill',
      outcome: 'raised',
      summary: expect.stringMatching(/provider-kill drill has not passed in 120 days/),
    }),
  ]);
  expect(await alerts()).toEqual([{ key: 'drill-overdue:kind=provider-kill', state: 'firing', severity: 'ticket' }]);

  await drill('drill/provider-kill/q3', 'provider-kill', 'passed', 0);
  await runMonitorPass(db.pool, []);
  expect(await alerts()).toEqual([{ key: 'drill-overdue:kind=provider-kill', state: 'resolved', severity: 'ticket' }]);
});
