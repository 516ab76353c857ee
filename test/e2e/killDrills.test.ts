import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { abortDrills, startDrill } from '../../src/control/drillControl';
import { injectDrillFault } from '../../src/drills/drillFaults';
import { mintSyntheticKey } from '../../src/tenants/syntheticTenant';
import { OutageWatch } from '../../src/incidents/outageWatch';
import { probeModelAs } from '../../src/incidents/providerProbe';
import type { DrillView } from '../../src/model/drill';
import { incidentWorkflowId } from '../../src/model/incident';
import { loadMonitorsFile } from '../../src/monitoring/monitorRules';
import { drillWorkflow } from '../../workflows/drill';
import { incidentWorkflow } from '../../workflows/incident';
import { runCli } from '../harness/cli';
import { eventually, startGatewayHarness, type GatewayHarness } from '../harness/gateway';
import { harnessValue } from '../harness/harnessEnv';
import { simulatorProviders } from '../harness/providers';
import { connectDevServer, uniqueTaskQueue, type DevServerHandles } from '../harness/temporal';

/**
 * Issue 15, kill drills end to end on the real dev server, two real gateways, Postgres and the
 * simulator: the provider kill drill switches a model off for the synthetic drill tenant only, the
 * outage watch starts the playbook for that tenant, the backup serves it, the playbook recovers by
 * itself once the fault is lifted, and a customer calling the same model meanwhile never notices.
 * The rollback drill times every gateway following a promotion and a rollback. `drill abort`
 * reverts every fault within seconds, with or without a worker.
 */
const PRIMARY = 'gpt-4o-mini-2024-07-18';
const BACKUP = 'claude-haiku-4-5-20251001';
const DRILL_TENANT = 'drills-e2e';

let h: GatewayHarness;
let second: GatewayHarness;
let temporal: DevServerHandles;
let watch: OutageWatch;
const taskQueue = uniqueTaskQueue('drills-e2e');
const cli = (...args: string[]) =>
  runCli(args, {
    DATABASE_URL: h.db.url,
    TEMPORAL_ADDRESS: harnessValue('temporalAddress'),
    FLIGHTDECK_ACTOR: 'oncall',
  });
const faults = async () => Number((await h.db.pool.query('SELECT count(*) FROM drill_faults')).rows[0].count);

beforeAll(async () => {
  h = await startGatewayHarness({ config: { circuit: { failures: 3, cooldown_ms: 2000 }, attempt_timeout_ms: 3000 } });
  second = await startGatewayHarness({ db: h.db });
  const monitors = path.join(mkdtempSync(path.join(tmpdir(), 'fd-drills-e2e-')), 'monitors.yaml');
  writeFileSync(
    monitors,
    [
      'rules:',
      '  - { id: model-availability, metric: server_error_rate, by: [model], min_volume: 50, detector: { kind: burn_rate, objective: 0.99 }, playbook: provider-outage }',
      'playbooks:',
      `  provider_outage: { backups: { ${PRIMARY}: ${BACKUP} }, probe_every_seconds: 5, healthy_probes: 2 }`,
    ].join('\n'),
  );
  temporal = await connectDevServer();
  const providers = simulatorProviders(h.sim.port);
  await temporal.runWorker(h.db.pool, taskQueue, providers, {
    monitorsFile: monitors,
    gatewayUrls: [h.gateway.url, second.gateway.url],
  });
  // The worker's outage watch, as `flightdeck worker` runs it, starting incidents on this test's queue.
  watch = new OutageWatch({
    pool: h.db.pool,
    settings: () => loadMonitorsFile(monitors),
    probe: (model, tenant) => probeModelAs(h.db.pool, providers, model, tenant),
    start: (incident) =>
      temporal.client.workflow.start(incidentWorkflow, {
        taskQueue,
        workflowId: incidentWorkflowId(incident.kind, incident.key),
        args: [incident],
      }),
    probeGapMs: 200,
  });
  await watch.start();
});
afterAll(async () => {
  await watch?.close();
  await temporal?.close();
  await second?.close();
  await h?.close();
});

const drill = (input: Record<string, unknown>) =>
  startDrill(temporal.client, h.db.pool, { actor: 'test', tenant: DRILL_TENANT, ...input } as never, { taskQueue });
const result = (workflowId: string) => temporal.client.workflow.getHandle(workflowId).result() as Promise<DrillView>;

it('provider kill: the drill tenant falls over to the backup and back by the playbook alone, while a customer on the same model never notices', async () => {
  const customer = h.client(await h.tenant('bystander'));
  const customerAnswers: Array<string | number> = [];
  let calling = true;
  const customerTraffic = (async () => {
    while (calling) {
      customerAnswers.push(
        await customer.chat.completions
          .create({ model: PRIMARY, messages: [{ role: 'user', content: 'Where is my parcel?' }] })
          .then((a) => a.model)
          .catch((error: { status: number }) => error.status),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();

  const workflowId = await drill({
    kind: 'provider-kill',
    id: 'e2e',
    mitigateWithinSeconds: 60,
    recoverWithinSeconds: 120,
  });
  expect(workflowId).toBe('drill/provider-kill/e2e');
  const view = await result(workflowId);
  calling = false;
  await customerTraffic;

  expect(view.status).toBe('passed');
  expect(view.checks.map((c) => [c.name, c.passed])).toEqual([
    ['preconditions', true],
    ['stop conditions', true],
    ['fault injected', true],
    ['outage detected', true],
    ['mitigated', true],
    ['fallback serves', true],
    ['recovered', true],
    ['model serves again', true],
  ]);
  const timing = Object.fromEntries(view.checks.map((c) => [c.name, c.seconds]));
  expect(timing['outage detected']).toBeLessThan(30);
  expect(timing['mitigated']).toBeLessThan(30);
  expect(timing['recovered']).toBeLessThan(60);
  // The customer was served by the model itself throughout: the drill moved nobody else.
  expect(customerAnswers.length).toBeGreaterThan(20);
  expect(new Set(customerAnswers)).toEqual(new Set([PRIMARY]));
  // Nothing is left behind: no fault, no override; the incident was the drill tenant's own.
  expect(await faults()).toBe(0);
  expect((await h.db.pool.query('SELECT count(*) FROM route_overrides')).rows[0].count).toBe('0');
  const incidents = await h.db.pool.query('SELECT workflow_id, status, resolved_by FROM incidents');
  expect(incidents.rows).toEqual([
    {
      workflow_id: `incident/provider-outage/${PRIMARY}@${DRILL_TENANT}`,
      status: 'resolved',
      resolved_by: 'flightdeck',
    },
  ]);

  // The report is stored and printed, each check with its timing.
  const report = await cli('drill', 'report', '--kind', 'provider-kill');
  expect(report.code).toBe(0);
  expect(report.stdout).toMatch(/drill\/provider-kill\/e2e: passed - every check passed/);
  expect(report.stdout).toMatch(/PASS {2}mitigated \(\d+\.\d s\)/);
});

it('the rollback drill times every gateway serving the promoted and then the earlier version', async () => {
  const view = await result(await drill({ kind: 'prompt-rollback', id: 'e2e', withinSeconds: 10 }));
  expect(view).toMatchObject({ status: 'passed', summary: 'every check passed' });
  const promoted = view.checks.find((c) => c.name === 'every gateway serves the promoted version')!;
  const rolledBack = view.checks.find((c) => c.name === 'every gateway serves the earlier version again')!;
  for (const check of [promoted, rolledBack]) {
    expect(check.passed).toBe(true);
    expect(check.seconds).toBeLessThan(10);
    // Both gateways were asked.
    expect(check.detail).toContain(h.gateway.url);
    expect(check.detail).toContain(second.gateway.url);
  }
  expect(rolledBack.detail).toMatch(/rollback moved production to 1\.0\.0/);
  // A second run pushes new versions on top; the drill prompt is the drills' own.
  const again = await result(await drill({ kind: 'prompt-rollback', id: 'e2e-2', withinSeconds: 10 }));
  expect(again.status).toBe('passed');
  // An id names one drill and its report: it is never run twice.
  await expect(drill({ kind: 'prompt-rollback', id: 'e2e' })).rejects.toThrow(
    'Drill drill/prompt-rollback/e2e already ran or is running: give another --id',
  );
  expect(again.checks.at(-1)!.detail).toMatch(/production to 1\.0\.2/);
});

it("drill abort reverts a running drill's fault within 10 s and the drill ends aborted", async () => {
  // A long window: left alone, this drill would wait minutes for its recovery.
  const workflowId = await drill({
    kind: 'provider-kill',
    id: 'aborted',
    mitigateWithinSeconds: 600,
    recoverWithinSeconds: 600,
  });
  await eventually(async () => (await faults()) === 1, 30_000);
  const key = await mintSyntheticKey(h.db.pool, DRILL_TENANT, 'test');
  const servedBy = () =>
    h
      .client(key)
      .chat.completions.create({ model: PRIMARY, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })
      .then((a) => a.model)
      .catch((error: { status: number }) => error.status);

  const asked = Date.now();
  const aborted = await cli('drill', 'abort', '--reason', 'real incident starting', '--json');
  expect(aborted.code).toBe(0);
  expect(JSON.parse(aborted.stdout)).toEqual({ faultsReverted: 1, drills: [workflowId] });
  expect(await faults()).toBe(0);
  const view = await result(workflowId);
  expect(view).toMatchObject({ status: 'aborted', abortedBy: 'oncall' });
  expect(view.summary).toBe('aborted by oncall: real incident starting');
  // Every gateway serves the drill tenant from the model again: no fault, no override left.
  await eventually(async () => (await servedBy()) === PRIMARY, 10_000 - (Date.now() - asked));
  expect(Date.now() - asked).toBeLessThan(10_000);
  expect((await h.db.pool.query('SELECT count(*) FROM route_overrides')).rows[0].count).toBe('0');
});

it('an abort signal with a hostile payload still aborts: the payload only names who asked', async () => {
  const workflowId = await drill({
    kind: 'provider-kill',
    id: 'hostile-abort',
    mitigateWithinSeconds: 600,
    recoverWithinSeconds: 600,
  });
  await eventually(async () => (await faults()) === 1, 30_000);
  // Sent by hand (`temporal workflow signal`): not an object, a megabyte long, with a NUL in it.
  await temporal.client.workflow.getHandle(workflowId).signal('abort', `x\u0000${'y'.repeat(1_000_000)}`);
  const view = await result(workflowId);
  expect(view).toMatchObject({ status: 'aborted', abortedBy: 'unknown', summary: 'aborted by unknown' });
  expect(await faults()).toBe(0);
});

it("drill abort reverts a fault even with no worker alive to run the drill's finally path", async () => {
  await injectDrillFault(h.db.pool, {
    tenant: DRILL_TENANT,
    model: PRIMARY,
    drill: 'drill/provider-kill/orphan',
    minutes: 60,
    actor: 'test',
  });
  const key = await mintSyntheticKey(h.db.pool, DRILL_TENANT, 'test');
  const call = () =>
    second
      .client(key)
      .chat.completions.create({ model: PRIMARY, max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })
      .then((a) => a.model)
      .catch((error: { status: number }) => error.status);
  await eventually(async () => (await call()) === 503);
  const asked = Date.now();
  expect(await abortDrills(temporal.client, h.db.pool, { actor: 'oncall' })).toEqual({ faultsReverted: 1, drills: [] });
  await eventually(async () => (await call()) === PRIMARY, 10_000);
  expect(Date.now() - asked).toBeLessThan(10_000);
});

it('bad input: an unknown kind, a real tenant, a fault on a real tenant: exit 2 with the reason, nothing injected', async () => {
  await h.tenant('real-customer');
  const unknown = await cli('drill', 'run', 'chaos-monkey');
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toMatch(/Unknown drill kind "chaos-monkey": use one of provider-kill, prompt-rollback/);
  const real = await cli('drill', 'run', 'provider-kill', '--tenant', 'real-customer');
  expect(real.code).toBe(2);
  expect(real.stderr).toMatch(/Tenant "real-customer" carries real traffic: drills run on synthetic tenants only/);
  const mixed = await cli('drill', 'run', 'prompt-rollback', '--recover-within', '5');
  expect(mixed.code).toBe(2);
  // Hostile flags: a path in the id, a NUL in the tenant, a window of years, a huge prompt name, bad report flags.
  for (const args of [
    ['run', 'provider-kill', '--id', '../../etc'],
    ['run', 'provider-kill', '--tenant', 'drills\u0000x'],
    ['run', 'provider-kill', '--mitigate-within', '99999999'],
    ['run', 'prompt-rollback', '--prompt', 'x'.repeat(10_000)],
    ['report', '--kind', 'chaos'],
    ['report', '--limit', '-1'],
  ]) {
    const refused = await cli('drill', ...args);
    expect([args[0], args[1], refused.code]).toEqual([args[0], args[1], 2]);
  }
  await expect(
    injectDrillFault(h.db.pool, { tenant: 'real-customer', model: PRIMARY, drill: 'x', minutes: 5, actor: 'test' }),
  ).rejects.toThrow(/carries real traffic/);
  expect(await faults()).toBe(0);
  // Started by hand past the CLI (`temporal workflow start`): the workflow fails at once, naming the field.
  const failed = await temporal.client.workflow
    .execute(drillWorkflow, { taskQueue, workflowId: `drill-bad-${taskQueue}`, args: [{ kind: 'chaos' } as never] })
    .catch((error: { cause?: { message: string } }) => error.cause?.message);
  expect(failed).toMatch(/^The drill is invalid:[\s\S]*kind/);
  const started = await h.db.pool.query("SELECT count(*) FROM drill_runs WHERE tenant_id = 'real-customer'");
  expect(started.rows[0].count).toBe('0');
});

it('a dry run checks the stop conditions and stops when real traffic has an open alert', async () => {
  const dry = await result(await drill({ kind: 'provider-kill', id: 'dry', dryRun: true }));
  expect(dry).toMatchObject({
    status: 'passed',
    dryRun: true,
    summary: 'dry run: the drill could run now; nothing was injected',
  });
  await h.db.pool.query(
    `INSERT INTO monitor_alerts (key, rule_id, severity, state, summary, numbers)
     VALUES ('model-availability:model=${PRIMARY}', 'model-availability', 'page', 'firing', 'real outage', '{}')`,
  );
  const stopped = await result(await drill({ kind: 'provider-kill', id: 'stopped' }));
  expect(stopped.status).toBe('aborted');
  expect(stopped.summary).toMatch(
    /^stopped: alert model-availability:model=gpt-4o-mini-2024-07-18 is open on real traffic/,
  );
  expect(await faults()).toBe(0);
  await h.db.pool.query("UPDATE monitor_alerts SET state = 'resolved', resolved_at = now()");
});
