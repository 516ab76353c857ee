import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { incidentWorkflowId } from '../../src/model/incident';
import type { Client } from '@temporalio/client';
import type { MonitorPassSummary } from '../../src/monitoring/monitorPass';
import { DEFAULT_MONITOR_RULES } from '../../src/monitoring/monitorRules';
import type { LogEntry } from '../../src/telemetry/requestRecord';
import { createFlightdeckWorker } from '../../workers/worker';
import { approveIncidentUpdate, incidentStatusQuery, resolveIncidentSignal } from '../../workflows/incidentMessages';
import { createTenant } from '../../src/tenants/tenantStore';
import { monitorPassWorkflow } from '../../workflows/monitorPass';
import { runCli } from '../harness/cli';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { logEntry, storeEntries } from '../harness/logEntries';
import { simulatorProviders } from '../harness/providers';
import { eventually } from '../harness/gateway';
import { connectDevServer, uniqueTaskQueue, workflowBundle } from '../harness/temporal';

/**
 * Issue 13, item 3: the monitor pass over rollups filled by the real request-log writer: a tenant's
 * spend ×6, a model failing 30% of calls, a model with a fifth of its calls over 10 s and a guardrail
 * blocking ×20 fire; healthy series do not;
 * dedupe, acknowledge, auto-resolve, cooldown and mute; a broken rules file changes nothing; the
 * pass runs as a Temporal workflow.
 */
let db: TestDatabase;
let env: Record<string, string>;
const cli = (...args: string[]) => runCli(args, env);
const HOUR = 3_600_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

const store = (entries: LogEntry[]) => storeEntries(db.pool, entries);

const times = <T>(n: number, make: (i: number) => T) => Array.from({ length: n }, (_, i) => make(i));

beforeAll(async () => {
  db = await createTestDatabase();
  env = { DATABASE_URL: db.url, FLIGHTDECK_ACTOR: 'oncall' };
  await store([
    // Spend: about $1 an hour, every hour of 28 days (the baseline is the same hour on the same kind of day), for two tenants…
    ...['spender', 'steady'].flatMap((tenant) =>
      times(28 * 24, (h) => logEntry(tenant, null, { ts: ago(3 * HOUR + h * HOUR), cost_usd: 0.8 + (h % 5) * 0.1 })),
    ),
    // …then $6 in the last ten minutes for one of them ($18 an hour), $0.40 for the other ($1.20 an hour).
    ...times(6, (i) => logEntry('spender', null, { ts: ago(10 * 60_000 + i * 1000), cost_usd: 1 })),
    logEntry('steady', null, { ts: ago(10 * 60_000), cost_usd: 0.4 }),
    // Availability: 30% server errors in the last few minutes on one model.
    ...times(100, (i) =>
      logEntry('apps', null, {
        ts: ago(2 * 60_000 + i * 100),
        model: 'claude-haiku-4-5-20251001',
        status: i % 10 < 3 ? 502 : 200,
        error_class: i % 10 < 3 ? 'provider_error' : null,
      }),
    ),
    // Latency: a fifth of one model's calls take 15 s (the objective: 99% within 10 s).
    ...times(100, (i) =>
      logEntry('apps', null, {
        ts: ago(2 * 60_000 + i * 100),
        model: 'gpt-4.1-nano-2025-04-14',
        latency_ms_total: i % 5 === 0 ? 15_000 : 800,
      }),
    ),
    // Latency: a model answering in about 0.8 s for 30 hours, three times slower for the last twenty minutes.
    ...times(30 * 60, (i) =>
      logEntry('apps', null, {
        ts: ago(3 * HOUR + i * 60_000),
        model: 'gpt-4o-2024-08-06',
        latency_ms_total: 600 + (i % 7) * 60,
      }),
    ),
    ...times(120, (i) =>
      logEntry('apps', null, {
        ts: ago(30_000 + i * 10_000),
        model: 'gpt-4o-2024-08-06',
        latency_ms_total: 2400 + (i % 7) * 180,
      }),
    ),
    // Guardrails: 1% blocked over the last days, 20% in the last hour.
    ...times(1000, (i) =>
      logEntry('guarded', null, {
        ts: ago(30 * HOUR + i * 60_000),
        guardrails: [{ id: 'input.injection', decision: i % 100 === 0 ? 'block' : 'allow', ms: 0.1 }],
      }),
    ),
    ...times(200, (i) =>
      logEntry('guarded', null, {
        ts: ago(20 * 60_000 + i * 1000),
        guardrails: [{ id: 'input.injection', decision: i % 5 === 0 ? 'block' : 'allow', ms: 0.1 }],
      }),
    ),
  ]);
});
afterAll(() => db.drop());

const EXPECTED_KEYS = [
  'guardrail-block-rate:tenant=guarded,guardrail=input.injection',
  'model-availability:model=claude-haiku-4-5-20251001',
  'model-latency-shift:model=gpt-4o-2024-08-06',
  'model-latency:model=gpt-4.1-nano-2025-04-14',
  'tenant-cost-spike:tenant=spender',
];

it('fires on the three faults and nothing else, once per key, and shows the numbers', async () => {
  const first = await cli('monitors', 'run', '--json');
  expect(first.code).toBe(0);
  const pass = JSON.parse(first.stdout);
  expect(pass.alerts.map((a: { key: string }) => a.key).sort()).toEqual(EXPECTED_KEYS);
  expect(pass.raised).toBe(EXPECTED_KEYS.length);
  const again = JSON.parse((await cli('monitors', 'run', '--json')).stdout);
  expect(again.raised).toBe(0);
  expect(again.alerts.map((a: { outcome: string }) => a.outcome)).toEqual(
    Array(EXPECTED_KEYS.length).fill('still_firing'),
  );

  const open = JSON.parse((await cli('alerts', 'list', '--json')).stdout);
  expect(open.map((a: { key: string }) => a.key).sort()).toEqual(EXPECTED_KEYS);
  const availability = open.find((a: { ruleId: string }) => a.ruleId === 'model-availability');
  expect(availability).toMatchObject({ severity: 'page', state: 'firing', playbook: 'provider-outage' });
  expect(availability.numbers.burn5m).toBeCloseTo(30, 0);
  const shown = await cli('alerts', 'show', String(availability.id));
  expect(shown.stdout).toMatch(/error budget burning 30× over 60 min/);
});

it('acknowledges, resolves itself when back in bounds, then keeps quiet through the cooldown', async () => {
  const open = JSON.parse((await cli('alerts', 'list', '--json')).stdout);
  const id = String(open.find((a: { ruleId: string }) => a.ruleId === 'model-availability').id);
  expect(JSON.parse((await cli('alerts', 'ack', id, '--json')).stdout)).toMatchObject({
    from: 'firing',
    to: 'acknowledged',
  });
  expect((await cli('alerts', 'ack', id)).stdout).toMatch(/already acknowledged/);

  // The provider recovers: plenty of good calls dilute the last five minutes and the hour.
  await store(
    times(3000, (i) => logEntry('apps', null, { ts: ago(60_000 + i * 20), model: 'claude-haiku-4-5-20251001' })),
  );
  const pass = JSON.parse((await cli('monitors', 'run', '--json')).stdout);
  expect(pass.resolved).toBe(1);
  const resolved = JSON.parse((await cli('alerts', 'show', id, '--json')).stdout);
  expect(resolved).toMatchObject({
    state: 'resolved',
    resolvedBy: 'monitor (back in bounds)',
    acknowledgedBy: 'oncall',
  });

  // It breaks again at once: inside the 30-minute cooldown nothing new opens.
  await store(
    times(2000, (i) =>
      logEntry('apps', null, { ts: ago(30_000 + i * 10), model: 'claude-haiku-4-5-20251001', status: 503 }),
    ),
  );
  const storm = JSON.parse((await cli('monitors', 'run', '--json')).stdout);
  expect(storm.alerts.find((a: { key: string }) => a.key.startsWith('model-availability'))).toMatchObject({
    outcome: 'cooldown',
  });
});

it('a muted key raises nothing; a broken rules file exits 2 naming rule and field and changes nothing', async () => {
  const key = 'tenant-cost-spike:tenant=spender';
  const spend = JSON.parse((await cli('alerts', 'list', '--json')).stdout).find((a: { key: string }) => a.key === key);
  expect((await cli('alerts', 'mute', key, '--minutes', '120')).code).toBe(2); // no reason given
  for (const hostile of [
    ['x\u0000y', 'r'],
    ['k'.repeat(10_000), 'r'],
    [key, 'a\u0000b'],
    [key, 'r'.repeat(5000)],
  ])
    expect((await cli('alerts', 'mute', hostile[0]!, '--reason', hostile[1]!)).code).toBe(2);
  expect((await db.pool.query('SELECT count(*)::int AS n FROM monitor_mutes')).rows[0].n).toBe(0);
  expect((await cli('alerts', 'mute', key, '--minutes', '120', '--reason', 'known promo')).code).toBe(0);
  await cli('alerts', 'resolve', String(spend.id));
  await db.pool.query(`UPDATE monitor_alerts SET resolved_at = now() - interval '2 hours' WHERE id = $1`, [spend.id]);
  const pass = JSON.parse((await cli('monitors', 'run', '--json')).stdout);
  expect(pass.alerts.find((a: { key: string }) => a.key === key)).toMatchObject({ outcome: 'muted' });

  const before = (await db.pool.query('SELECT count(*)::int AS n, max(last_seen_at) AS seen FROM monitor_alerts'))
    .rows[0];
  const rules = path.join(mkdtempSync(path.join(tmpdir(), 'fd-rules-')), 'rules.yaml');
  writeFileSync(rules, 'rules:\n  - { id: spend, metric: cost_usd, detector: { kind: burn_rate } }\n');
  const broken = await cli('monitors', 'run', '--rules', rules);
  expect(broken.code).toBe(2);
  expect(broken.stderr).toMatch(/rule spend\.detector\.kind/);
  expect(
    (await db.pool.query('SELECT count(*)::int AS n, max(last_seen_at) AS seen FROM monitor_alerts')).rows[0],
  ).toEqual(before);
});

it('runs as a Temporal workflow and returns the pass it made', async () => {
  const temporal = await connectDevServer();
  const taskQueue = uniqueTaskQueue('monitors');
  const worker = await temporal.worker(db.pool, taskQueue, simulatorProviders(1));
  try {
    const summary = await worker.runUntil(
      temporal.client.workflow.execute(monitorPassWorkflow, { taskQueue, workflowId: `monitor-pass-${taskQueue}` }),
    );
    expect(summary.rules).toBe(DEFAULT_MONITOR_RULES.length);
    expect(summary.firing).toBeGreaterThanOrEqual(2);
    expect(summary.series).toBeGreaterThanOrEqual(5);
  } finally {
    await temporal.close();
  }
});

/**
 * A worker on the dev server with a monitors file of these rules (after `rules:`), and `body` with
 * a client and a way to run one monitor pass as the schedule would.
 */
async function withPlaybooks(
  lines: string[],
  body: (client: Client, pass: () => Promise<MonitorPassSummary>) => Promise<void>,
): Promise<void> {
  const rules = path.join(mkdtempSync(path.join(tmpdir(), 'fd-playbooks-')), 'monitors.yaml');
  writeFileSync(rules, ['rules:', ...lines].join('\n'));
  const temporal = await connectDevServer();
  const taskQueue = uniqueTaskQueue('playbooks');
  const worker = await createFlightdeckWorker({
    connection: temporal.workerConnection,
    namespace: 'default',
    pool: db.pool,
    providers: simulatorProviders(1),
    taskQueue,
    workflowBundle: workflowBundle(),
    monitorsFile: rules,
  });
  let passes = 0;
  const pass = () =>
    temporal.client.workflow.execute(monitorPassWorkflow, {
      taskQueue,
      workflowId: `monitor-pass-${taskQueue}-${++passes}`,
    });
  try {
    await worker.runUntil(() => body(temporal.client, pass));
  } finally {
    await temporal.close();
  }
}

it("a new alert whose rule names the provider-outage playbook starts it: the model's calls move to its backup (a route override)", async () => {
  const model = 'claude-haiku-4-5-20251001';
  const incidentId = incidentWorkflowId('provider-outage', model);
  await withPlaybooks(
    [
      '  - { id: model-outage, metric: server_error_rate, by: [model], min_volume: 50, detector: { kind: burn_rate }, playbook: provider-outage }',
      'playbooks:',
      `  provider_outage: { backups: { ${model}: gpt-4o-2024-08-06 }, probe_every_seconds: 3600 }`,
    ],
    async (client, pass) => {
      const summary = await pass();
      // Only the model with a backup named starts one (the nano model's latency is another rule's).
      expect(summary.incidents.map((i) => [i.key, i.alertKey])).toEqual([[model, `model-outage:model=${model}`]]);
      const incident = client.workflow.getHandle(incidentId);
      await eventually(async () => (await incident.query(incidentStatusQuery)).status === 'mitigated');
      const override = await db.pool.query('SELECT backup, incident FROM route_overrides WHERE model = $1', [model]);
      expect(override.rows).toEqual([{ backup: 'gpt-4o-2024-08-06', incident: incidentId }]);
      // The next pass finds the alert still firing: the incident is not started twice.
      expect((await pass()).incidents).toEqual([]);
      await incident.signal(resolveIncidentSignal, { actor: 'oncall', reason: 'test over' });
      expect(await incident.result()).toMatchObject({ status: 'resolved', resolvedBy: 'oncall' });
    },
  );
  expect((await db.pool.query('SELECT 1 FROM route_overrides')).rowCount).toBe(0);
});

it('a rule that names the security playbook starts it from its alert: approved, the tenant is switched off, the evidence kept, the bodies purged; resolve restores it and the postmortem lists the requests', async () => {
  await createTenant(db.pool, { id: 'guarded', tier: 'free', experimentsOptIn: false, actor: 'test' });
  const blocked = times(3, (i) =>
    logEntry('guarded', null, {
      ts: ago(60_000 + i * 1000),
      guardrail_decision: 'block',
      guardrails: [{ id: 'input.injection', decision: 'block', ms: 0.1, detail: 'ignore_instructions' }],
    }),
  );
  await store(blocked);
  const alertKey = 'injection-surge:tenant=guarded,guardrail=input.injection';
  const incidentId = incidentWorkflowId('security', alertKey);
  const status = async () => (await db.pool.query("SELECT status FROM tenants WHERE id = 'guarded'")).rows[0].status;
  await withPlaybooks(
    [
      '  - { id: injection-surge, metric: guardrail_block_rate, by: [tenant], min_volume: 100, stretch: 4, detector: { kind: rate_shift, ratio: 2 }, playbook: security }',
      'playbooks:',
      '  security: { finding: injection, approval: [kill] }',
    ],
    async (client, pass) => {
      expect((await pass()).incidents.map((i) => i.alertKey)).toEqual([alertKey]);
      const incident = client.workflow.getHandle(incidentId);
      // An alert is a suspicion: the kill switch waits for a person.
      await eventually(async () => (await incident.query(incidentStatusQuery)).awaiting?.step === 'kill');
      expect(await status()).toBe('active');
      await incident.executeUpdate(approveIncidentUpdate, {
        args: [{ step: 'kill', approve: true, actor: 'oncall', reason: 'confirmed in the traces' }],
      });
      await eventually(async () => (await incident.query(incidentStatusQuery)).status === 'mitigated');
      expect(await status()).toBe('killed');
      expect((await incident.query(incidentStatusQuery)).security).toMatchObject({
        affected: 3,
        purged: 3,
        killed: true,
      });
      await incident.signal(resolveIncidentSignal, { actor: 'oncall', reason: 'pattern added to the guardrail' });
      expect(await incident.result()).toMatchObject({ status: 'resolved', resolvedBy: 'oncall' });
    },
  );
  expect(await status()).toBe('active');
  const ids = blocked.map((e) => e.record.request_id);
  const bodies = await db.pool.query('SELECT count(*)::int AS n FROM request_bodies WHERE request_id = ANY($1)', [ids]);
  expect(bodies.rows[0].n).toBe(0);
  const shown = await cli('incident', 'show', incidentId);
  expect(shown.stdout).toContain('Evidence (affected requests):');
  for (const id of ids) expect(shown.stdout).toMatch(new RegExp(`${id}\\s.*input\\.injection:block`));
  const postmortem = await cli('incident', 'postmortem', incidentId, '--replay', '0');
  expect(postmortem.code).toBe(0);
  for (const id of ids) expect(postmortem.stdout).toContain(`| ${id} |`);
  expect(postmortem.stdout).toContain('input.injection:block');
  expect(postmortem.stdout).toMatch(/tenant\.status guarded: active -> killed/);
});
