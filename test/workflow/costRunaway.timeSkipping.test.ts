import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { getIncident } from '../../src/incidents/incidentStore';
import { gatherPostmortemFacts, writePostmortem } from '../../src/incidents/postmortem';
import { costPolicySchema } from '../../src/model/costPolicy';
import { incidentWorkflowId, type IncidentInput } from '../../src/model/incident';
import { alertSignature } from '../../src/monitoring/alertWebhook';
import { setTenantStatus } from '../../src/tenants/tenantStore';
import { createFlightdeckWorker } from '../../workers/worker';
import { incidentWorkflow } from '../../workflows/incident';
import {
  ackIncidentSignal,
  approveIncidentUpdate,
  escalateIncidentSignal,
  incidentStatusQuery,
  resolveIncidentSignal,
} from '../../workflows/incidentMessages';
import { seedTenantSpend } from '../fixtures/tenantSpend';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { eventually } from '../harness/gateway';
import { simulatorProviders } from '../harness/providers';
import { timeSkippingEnvironment, workflowBundle } from '../harness/temporal';

/**
 * Issue 14, the cost-runaway playbook on the time-skipping server with real Postgres: the spend is
 * attributed from the rollups, the ladder warns, throttles at once past 10x, waits for approval to
 * kill (approved, or timed out and skipped), and a person's resolve lifts only what it set. Every
 * step reaches the (signed) webhook once.
 */
const SECRET = 'incident-webhook-secret-0123456789';
let env: TestWorkflowEnvironment;
let db: TestDatabase;
let receiver: Server;
let receiverUrl: string;
const notices: Array<{ step: string; status: string; workflowId: string }> = [];

const worker = (): Promise<Worker> =>
  createFlightdeckWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    pool: db.pool,
    providers: simulatorProviders(1),
    taskQueue: 'cost-incidents',
    workflowBundle: workflowBundle(),
    alertWebhook: { url: receiverUrl, secret: SECRET },
  });

beforeAll(async () => {
  env = await timeSkippingEnvironment();
  db = await createTestDatabase();
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const timestamp = String(req.headers['x-flightdeck-timestamp']);
      if (req.headers['x-flightdeck-signature'] === alertSignature(SECRET, timestamp, body))
        notices.push((JSON.parse(body) as { flightdeck: { incident: (typeof notices)[number] } }).flightdeck.incident);
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});
afterAll(async () => {
  await env?.teardown();
  receiver?.close();
  await db?.drop();
});

const runaway = (tenant: string, policy: object): IncidentInput => ({
  kind: 'cost-runaway',
  key: tenant,
  tenant,
  reason: 'tenant-cost-spike fired',
  actor: 'monitor',
  policy: costPolicySchema.parse({ window_minutes: 10, ...policy }),
});
const start = (input: IncidentInput) =>
  env.client.workflow.start(incidentWorkflow, {
    taskQueue: 'cost-incidents',
    workflowId: incidentWorkflowId('cost-runaway', input.key),
    args: [input],
  });
const tenantStatus = async (id: string) =>
  (await db.pool.query('SELECT status, throttle_rpm FROM tenants WHERE id = $1', [id])).rows[0];

it('warns, throttles a 20x runaway to twice its usual rate at once, kills on approval, and a person restores it', async () => {
  // $0.33 a minute is $20/h against $1/h usual.
  await seedTenantSpend(db.pool, 'loopy', 20 / 60);
  const view = await (
    await worker()
  ).runUntil(async () => {
    const handle = await start(runaway('loopy', { max_step: 'kill', approval: ['kill'] }));
    // The view moves once the throttle's activity has returned, after its row is written: wait on the view.
    const status = await eventually(async () => {
      const view = await handle.query(incidentStatusQuery);
      return view.cost?.rung === 'throttle' && view;
    });
    // One request a minute usual (60 an hour), twice that kept.
    expect(await tenantStatus('loopy')).toEqual({ status: 'throttled', throttle_rpm: 2 });
    expect(status.cost).toMatchObject({ rung: 'throttle', throttleRpm: 2, cause: 'volume' });
    // The window's whole minutes over the time they cover (up to a minute more than 10).
    expect(status.cost!.ratio).toBeGreaterThan(15);
    expect(status.cost!.ratio).toBeLessThanOrEqual(20);

    // Nothing waits yet: an approval now is refused and changes nothing.
    await expect(
      handle.executeUpdate(approveIncidentUpdate, { args: [{ step: 'kill', approve: true, actor: 'eager' }] }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    await handle.signal(ackIncidentSignal, { actor: 'oncall' });
    // Still spending a step later: the kill waits for a person.
    await env.sleep('11 minutes');
    await eventually(async () => (await handle.query(incidentStatusQuery)).status === 'awaiting-approval');
    expect((await handle.query(incidentStatusQuery)).awaiting).toMatchObject({ step: 'kill', onTimeout: 'skip' });
    await expect(
      handle.executeUpdate(approveIncidentUpdate, { args: [{ step: 'throttle', approve: true, actor: 'oncall' }] }),
    ).rejects.toThrow(WorkflowUpdateFailedError);
    const approved = await handle.executeUpdate(approveIncidentUpdate, {
      args: [{ step: 'kill', approve: true, actor: 'oncall', reason: 'card declined twice' }],
    });
    expect(approved.awaiting).toBeUndefined();
    await eventually(async () => (await tenantStatus('loopy')).status === 'killed');
    await handle.signal(resolveIncidentSignal, { actor: 'account-manager', reason: 'customer fixed their retry loop' });
    return handle.result();
  });
  expect(view).toMatchObject({ status: 'resolved', resolvedBy: 'account-manager', ackedBy: 'oncall' });
  expect(await tenantStatus('loopy')).toEqual({ status: 'active', throttle_rpm: null });
  const incident = await getIncident(db.pool, incidentWorkflowId('cost-runaway', 'loopy'));
  expect(incident.timeline.map((s) => s.step)).toEqual([
    'detect',
    'investigate',
    'warn',
    'throttle',
    'ack',
    'approval kill',
    'approved kill',
    'kill',
    'restore',
    'close',
  ]);
  expect(incident.timeline.find((s) => s.step === 'investigate')!.message).toMatch(
    /\$(1[89]|20)\.\d\d\/h against \$1\.00\/h usual; likely cause: volume; features: support 100%/,
  );
  // The postmortem names each change the incident made, in order, and the follow-ups for the kind.
  const postmortem = writePostmortem(await gatherPostmortemFacts(db.pool, String(incident.id)));
  expect(postmortem).toMatch(/^# Postmortem: incident #\d+, cost-runaway \(loopy\)/);
  expect(postmortem).toMatch(/Resolved by account-manager after \d+ min/);
  expect(postmortem).toMatch(
    /tenant\.status loopy: active -> throttled \(2\/min\)[\s\S]*tenant\.status loopy: throttled -> killed[\s\S]*tenant\.status loopy: killed -> active/,
  );
  expect(postmortem).toMatch(/\| approved kill \| oncall \| kill approved: card declined twice \|/);
  expect(postmortem).toContain('- started by hand, no alert');
  expect(postmortem).toContain("- [ ] Set or lower the tenant's hard budget");
  // Every step reached the webhook once, signed.
  await eventually(() => notices.filter((n) => n.workflowId === incident.workflowId).length === 10);
  expect(notices.filter((n) => n.workflowId === incident.workflowId).map((n) => n.step)).toEqual(
    incident.timeline.map((s) => s.step),
  );
});

it('a kill nobody approves is skipped at the timeout; resolve leaves a tenant someone else killed as it is', async () => {
  await seedTenantSpend(db.pool, 'quiet-night', 20 / 60);
  await (
    await worker()
  ).runUntil(async () => {
    const handle = await start(
      runaway('quiet-night', { max_step: 'kill', approval: ['kill'], approval_timeout_minutes: 5, step_minutes: 10 }),
    );
    await eventually(async () => (await tenantStatus('quiet-night')).status === 'throttled');
    await env.sleep('11 minutes');
    await eventually(async () => (await handle.query(incidentStatusQuery)).status === 'awaiting-approval');
    await env.sleep('6 minutes');
    await eventually(async () => (await handle.query(incidentStatusQuery)).status === 'mitigated');
    expect(await tenantStatus('quiet-night')).toMatchObject({ status: 'throttled' });
    await handle.signal(escalateIncidentSignal, { actor: 'oncall', reason: 'need the account owner' });
    // Someone else kills the tenant for their own reason; the incident's undo must not lift it.
    await setTenantStatus(db.pool, 'quiet-night', 'killed', 'fraud review', 'security');
    await handle.signal(resolveIncidentSignal, { actor: 'oncall' });
    expect(await handle.result()).toMatchObject({ status: 'resolved', escalations: 1 });
  });
  expect(await tenantStatus('quiet-night')).toMatchObject({ status: 'killed' });
  const incident = await getIncident(db.pool, incidentWorkflowId('cost-runaway', 'quiet-night'));
  const steps = incident.timeline.map((s) => s.step);
  expect(steps).toEqual(expect.arrayContaining(['approval kill', 'timeout kill', 'escalate', 'restore', 'close']));
  expect(steps).not.toContain('kill');
  expect(incident.timeline.find((s) => s.step === 'restore')!.message).toMatch(/left as it is/);
});

it('a rung that fails after its retries escalates and keeps the incident open until a person resolves it', async () => {
  await seedTenantSpend(db.pool, 'vanished', 20 / 60);
  // The tenant goes away (its spend stays in the rollups): the throttle cannot be written.
  await db.pool.query(`DELETE FROM tenants WHERE id = 'vanished'`);
  const view = await (
    await worker()
  ).runUntil(async () => {
    const handle = await start(runaway('vanished', {}));
    await eventually(async () => (await handle.query(incidentStatusQuery)).status === 'escalated', 20_000);
    const escalated = await handle.query(incidentStatusQuery);
    expect(escalated.failure).toMatch(/No tenant "vanished"/);
    expect(escalated.resolvedBy).toBeUndefined();
    await handle.signal(resolveIncidentSignal, { actor: 'oncall', reason: 'tenant offboarded' });
    return handle.result();
  });
  expect(view).toMatchObject({ status: 'resolved', resolvedBy: 'oncall' });
  const incident = await getIncident(db.pool, incidentWorkflowId('cost-runaway', 'vanished'));
  expect(incident.timeline.map((s) => s.step)).toEqual(['detect', 'investigate', 'warn', 'escalate', 'close']);
  expect(incident.timeline.find((s) => s.step === 'escalate')!.message).toMatch(/a step failed \(No tenant "vanished"/);
});
