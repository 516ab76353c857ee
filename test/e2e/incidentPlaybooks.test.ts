import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Worker } from '@temporalio/worker';
import { incidentWorkflowId } from '../../src/model/incident';
import { createFlightdeckWorker } from '../../workers/worker';
import { resolveIncidentSignal } from '../../workflows/incidentMessages';
import { monitorPassWorkflow } from '../../workflows/monitorPass';
import { runCli } from '../harness/cli';
import { eventually, startGatewayHarness, type GatewayHarness } from '../harness/gateway';
import { simulatorProviders } from '../harness/providers';
import { connectDevServer, uniqueTaskQueue, workflowBundle, type DevServerHandles } from '../harness/temporal';

/**
 * Issue 14 end to end: real gateway traffic through the official openai client, simulator faults,
 * the request log's rollups, the monitor pass (as its schedule runs it), the playbook its alert
 * starts, the mitigation seen on the gateway, the verification, and the postmortem from the CLI.
 */
const PRIMARY = 'gpt-4o-mini-2024-07-18';
const BACKUP = 'claude-haiku-4-5-20251001';
const PRICEY = 'gpt-4o-2024-08-06';

let h: GatewayHarness;
let temporal: DevServerHandles;
let worker: Worker;
let running: Promise<void>;
const taskQueue = uniqueTaskQueue('playbooks-e2e');
let spendyKey: string;
let passes = 0;
const pass = () =>
  temporal.client.workflow.execute(monitorPassWorkflow, { taskQueue, workflowId: `pass-${taskQueue}-${++passes}` });
const cli = (...args: string[]) => runCli(args, { DATABASE_URL: h.db.url, FLIGHTDECK_ACTOR: 'oncall' });

beforeAll(async () => {
  h = await startGatewayHarness({ config: { attempt_timeout_ms: 3000, deadline_ms: 8000 } });
  const monitors = path.join(mkdtempSync(path.join(tmpdir(), 'fd-playbooks-e2e-')), 'monitors.yaml');
  writeFileSync(
    monitors,
    [
      'rules:',
      '  - { id: model-availability, metric: server_error_rate, by: [model], min_volume: 50, detector: { kind: burn_rate, objective: 0.99 }, playbook: provider-outage }',
      '  - { id: tenant-cost-per-request, metric: cost_per_request, by: [tenant], window_minutes: 5, stretch: 8, min_volume: 5, detector: { kind: shift, change: 2 }, playbook: cost-runaway }',
      'playbooks:',
      `  provider_outage: { backups: { ${PRIMARY}: ${BACKUP} }, probe_every_seconds: 5, healthy_probes: 2 }`,
    ].join('\n'),
  );
  // The cost test's tenant and its usual, before any pass: a worker reads each hour's baselines once.
  spendyKey = await h.tenant('spendy-app');
  // Its usual: a few cheap calls an hour for four weeks (a tenth of a cent each).
  await h.db.pool.query(
    `INSERT INTO request_rollups (grain, bucket, tenant_id, feature, prompt_name, prompt_version, variant, model, provider,
       synthetic, requests, errors, server_errors, errors_by_class, input_tokens, cached_tokens, output_tokens, cost_usd,
       cache_hits, guardrail_decisions, output_chars, latency_hist, ttft_hist, context)
     SELECT 'hour', date_trunc('hour', now()) - h * interval '1 hour', 'spendy-app', '', '', '', 'direct', $1, 'openai',
       false, 4, 0, 0, '{}', 400, 0, 200, 0.004 * (0.9 + (h % 5) * 0.05), 0, '{}', 0,
       array_fill(0::bigint, ARRAY[13]), array_fill(0::bigint, ARRAY[13]), ''
     FROM generate_series(1, 28 * 24) h`,
    [PRICEY],
  );
  temporal = await connectDevServer();
  worker = await createFlightdeckWorker({
    connection: temporal.workerConnection,
    namespace: 'default',
    pool: h.db.pool,
    providers: simulatorProviders(h.sim.port),
    taskQueue,
    workflowBundle: workflowBundle(),
    monitorsFile: monitors,
  });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await temporal?.close();
  await h?.close();
});

it('provider outage: 5xx traffic raises model-availability, the playbook moves calls to the backup, heals, restores, and the postmortem tells it', async () => {
  const key = await h.tenant('outage-app');
  const ask = async () => {
    try {
      return (
        await h
          .client(key)
          .chat.completions.create({ model: PRIMARY, messages: [{ role: 'user', content: 'Where is my parcel?' }] })
      ).model;
    } catch (error) {
      return (error as { status: number }).status;
    }
  };
  h.sim.engine.faults.inject({ model: PRIMARY, kind: 'server', count: 1_000_000 });
  const failed = await Promise.all(Array.from({ length: 60 }, ask));
  expect(failed.every((answer) => typeof answer === 'number' && answer >= 500)).toBe(true);
  const logged = async () =>
    Number((await h.db.pool.query("SELECT count(*) FROM requests WHERE tenant_id = 'outage-app'")).rows[0].count);
  await eventually(async () => (await logged()) === 60);

  const summary = await pass();
  const workflowId = incidentWorkflowId('provider-outage', PRIMARY);
  expect(summary.incidents).toEqual([
    expect.objectContaining({ kind: 'provider-outage', model: PRIMARY, backup: BACKUP }),
  ]);
  // Mitigated: the gateway serves the model's calls from the backup.
  await eventually(async () => (await ask()) === BACKUP, 15_000);

  // The provider recovers: two fast probes in a row, and the playbook restores and closes by itself.
  h.sim.engine.faults.clear();
  const result = await temporal.client.workflow.getHandle(workflowId).result();
  expect(result).toMatchObject({ status: 'resolved', resolvedBy: 'flightdeck', outage: { healthyInARow: 2 } });
  await eventually(async () => (await ask()) === PRIMARY);

  const postmortem = await cli('incident', 'postmortem', workflowId, '--replay', '0');
  expect(postmortem.code).toBe(0);
  expect(postmortem.stdout).toContain(`alert \`model-availability:model=${PRIMARY}\``);
  expect(postmortem.stdout).toMatch(
    /\| detect \|[\s\S]*\| mitigate \|[\s\S]*\| investigate \|[\s\S]*\| restore \|[\s\S]*\| close \|/,
  );
  expect(postmortem.stdout).toMatch(new RegExp(`route\\.override ${PRIMARY}: none -> ${BACKUP}`));
});

it("cost runaway: a tenant's calls suddenly costing far more raise tenant-cost-per-request, the playbook throttles it on the gateway, a person restores it", async () => {
  const key = spendyKey;
  // Now a loop stuffs 6,000 tokens into each call: several cents a call.
  const stuffed = `Order history line. ${'Previous conversation turn repeated. '.repeat(1000)}`;
  const call = () =>
    h
      .client(key)
      .chat.completions.create({ model: PRICEY, max_tokens: 50, messages: [{ role: 'user', content: stuffed }] })
      .then(() => 200)
      .catch((error: { status: number }) => error.status);
  for (let i = 0; i < 8; i++) expect(await call()).toBe(200);
  await eventually(
    async () =>
      Number((await h.db.pool.query("SELECT count(*) FROM requests WHERE tenant_id = 'spendy-app'")).rows[0].count) ===
      8,
  );

  const summary = await pass();
  expect(summary.incidents).toEqual([expect.objectContaining({ kind: 'cost-runaway', tenant: 'spendy-app' })]);
  const workflowId = incidentWorkflowId('cost-runaway', summary.incidents[0]!.key);
  const tenant = async () =>
    (await h.db.pool.query("SELECT status, throttle_rpm FROM tenants WHERE id = 'spendy-app'")).rows[0];
  await eventually(async () => (await tenant()).status === 'throttled', 15_000);
  // Verified on the gateway: past its kept rate the loop gets 429.
  await eventually(async () => (await call()) === 429);

  const handle = temporal.client.workflow.getHandle(workflowId);
  await handle.signal(resolveIncidentSignal, { actor: 'account-manager', reason: 'the loop is fixed' });
  expect(await handle.result()).toMatchObject({ status: 'resolved', cost: { rung: 'throttle' } });
  expect(await tenant()).toEqual({ status: 'active', throttle_rpm: null });
  await eventually(async () => (await call()) === 200);

  const postmortem = await cli('incident', 'postmortem', workflowId, '--replay', '0');
  expect(postmortem.stdout).toContain('alert `tenant-cost-per-request:tenant=spendy-app`');
  expect(postmortem.stdout).toMatch(/tenant\.status spendy-app: active -> throttled/);
  expect(postmortem.stdout).toMatch(/\| investigate \|[^\n]*context growth|\| investigate \|[^\n]*likely cause/);
});
