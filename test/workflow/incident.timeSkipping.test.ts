import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { getIncident } from '../../src/incidents/incidentStore';
import { incidentWorkflowId, type IncidentInput } from '../../src/model/incident';
import { FlightdeckIncidentKind, FlightdeckIncidentStatus } from '../../src/model/searchAttributes';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server';
import { createFlightdeckWorker } from '../../workers/worker';
import { incidentWorkflow } from '../../workflows/incident';
import { incidentStatusQuery, resolveIncidentSignal } from '../../workflows/incidentMessages';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { eventually } from '../harness/gateway';
import { simulatorProviders } from '../harness/providers';
import { timeSkippingEnvironment, workflowBundle } from '../harness/temporal';

/**
 * Issue 14, the provider-outage playbook on the time-skipping server, with real Postgres and a real
 * simulator answering the probes: mitigate (the route override), probe until healthy in a row,
 * undo and close; on-call's resolve at any point; a failed mitigation escalates and stays open.
 */
const PRIMARY = 'gpt-4o-mini-2024-07-18';
const BACKUP = 'claude-haiku-4-5-20251001';
let env: TestWorkflowEnvironment;
let db: TestDatabase;
let sim: RunningSimulator;
/** A worker runs once (runUntil shuts it down): one per test. */
const worker = (): Promise<Worker> =>
  createFlightdeckWorker({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    pool: db.pool,
    providers: simulatorProviders(sim.port),
    taskQueue: 'incidents',
    workflowBundle: workflowBundle(),
  });

beforeAll(async () => {
  env = await timeSkippingEnvironment();
  db = await createTestDatabase();
  sim = await startSimulator({ port: 0 });
});
afterAll(async () => {
  await env?.teardown();
  await sim?.close();
  await db?.drop();
});
afterEach(() => sim.engine.faults.clear());

const outage = (
  key: string,
  over: Partial<Extract<IncidentInput, { kind: 'provider-outage' }>> = {},
): IncidentInput => ({
  kind: 'provider-outage',
  key,
  model: PRIMARY,
  backup: BACKUP,
  reason: 'model-availability fired',
  actor: 'monitor',
  probeEverySeconds: 30,
  healthyProbes: 3,
  ...over,
});
const start = (input: IncidentInput) =>
  env.client.workflow.start(incidentWorkflow, {
    taskQueue: 'incidents',
    workflowId: incidentWorkflowId('provider-outage', input.key),
    args: [input],
  });
const override = async () =>
  (await db.pool.query('SELECT backup, incident FROM route_overrides WHERE model = $1', [PRIMARY])).rows[0];

it('mitigates, probes the model until it answers three times in a row, then undoes the override and closes', async () => {
  // The model still fails its first two probes.
  sim.engine.faults.inject({ model: PRIMARY, kind: 'server', count: 2 });
  const view = await (
    await worker()
  ).runUntil(async () => {
    const handle = await start(outage('healed'));
    await eventually(async () => (await override())?.incident === handle.workflowId);
    expect(await override()).toEqual({ backup: BACKUP, incident: handle.workflowId });
    const result = await handle.result();
    // The Temporal UI's list filters and shows incidents by kind and status.
    const attributes = (await handle.describe()).typedSearchAttributes;
    expect([attributes.get(FlightdeckIncidentKind), attributes.get(FlightdeckIncidentStatus)]).toEqual([
      'provider-outage',
      'resolved',
    ]);
    return result;
  });
  expect(view).toMatchObject({ status: 'resolved', outage: { probes: 5, healthyInARow: 3 }, resolvedBy: 'flightdeck' });
  expect(await override()).toBeUndefined();
  const incident = await getIncident(db.pool, incidentWorkflowId('provider-outage', 'healed'));
  expect(incident).toMatchObject({ status: 'resolved', resolvedBy: 'flightdeck', openedBy: 'monitor' });
  expect(incident.timeline.map((s) => s.step)).toEqual(['detect', 'mitigate', 'investigate', 'restore', 'close']);
});

it("on-call's resolve ends it at once, undoing the override, while the model still fails", async () => {
  sim.engine.faults.inject({ model: PRIMARY, kind: 'server', count: 10_000 });
  const view = await (
    await worker()
  ).runUntil(async () => {
    const handle = await start(outage('by-hand', { healthyProbes: 1000 }));
    // Time skips only while the test waits on the server: two probe intervals and a bit.
    await env.sleep('75 seconds');
    expect((await handle.query(incidentStatusQuery)).outage!.probes).toBeGreaterThanOrEqual(2);
    expect(await override()).toBeDefined();
    // A resolve whose payload is not one is ignored (and shown), never taken as a resolution.
    await handle.signal(resolveIncidentSignal, 'now please' as never);
    await eventually(async () => (await handle.query(incidentStatusQuery)).ignored !== undefined);
    expect(await handle.query(incidentStatusQuery)).toMatchObject({
      status: 'mitigated',
      ignored: 'a message with payload "now please"',
    });
    await handle.signal(resolveIncidentSignal, { actor: 'oncall', reason: 'switching providers for good' });
    return handle.result();
  });
  expect(view).toMatchObject({ status: 'resolved', resolvedBy: 'oncall', outage: { healthyInARow: 0 } });
  expect(await override()).toBeUndefined();
  const incident = await getIncident(db.pool, incidentWorkflowId('provider-outage', 'by-hand'));
  expect(incident.timeline.at(-1)).toMatchObject({
    step: 'close',
    actor: 'oncall',
    message: 'switching providers for good',
  });
});

it('a mitigation that fails escalates and stays open until a person resolves it; it never reads resolved by itself', async () => {
  await db.pool.query('ALTER TABLE route_overrides RENAME TO route_overrides_away');
  try {
    await (
      await worker()
    ).runUntil(async () => {
      const handle = await start(outage('broken'));
      // The mitigation's five attempts back off over some seconds of (skipped) time.
      await env.sleep('1 minute');
      await eventually(async () => (await handle.query(incidentStatusQuery)).status === 'escalated');
      await env.sleep('2 hours');
      expect((await handle.query(incidentStatusQuery)).status).toBe('escalated');
      const incident = await getIncident(db.pool, handle.workflowId);
      expect(incident.status).toBe('escalated');
      expect(incident.timeline.map((s) => s.step)).toEqual(['detect', 'escalate']);
      await db.pool.query('ALTER TABLE route_overrides_away RENAME TO route_overrides');
      await handle.signal(resolveIncidentSignal, { actor: 'oncall', reason: 'rerouted by hand' });
      expect(await handle.result()).toMatchObject({ status: 'resolved', resolvedBy: 'oncall' });
    });
  } finally {
    await db.pool.query('ALTER TABLE IF EXISTS route_overrides_away RENAME TO route_overrides');
  }
});

it('a latency spike: slow probes keep the calls on the backup; once the model answers quickly they go back', async () => {
  const profile = (ttftMs: number) =>
    fetch(`${sim.url}/admin/profiles/${PRIMARY}`, {
      method: 'PUT',
      body: JSON.stringify({ ttftMs, ttftSpreadMs: 0, perTokenMs: 0, perTokenSpreadMs: 0 }),
    });
  await profile(1500);
  try {
    const view = await (
      await worker()
    ).runUntil(async () => {
      const handle = await start(outage('slow', { slowProbeMs: 1000, healthyProbes: 2 }));
      await env.sleep('100 seconds');
      const during = await handle.query(incidentStatusQuery);
      expect(during.outage!.probes).toBeGreaterThanOrEqual(2);
      expect(during.outage!.healthyInARow).toBe(0);
      expect(await override()).toBeDefined();
      await profile(5);
      return handle.result();
    });
    expect(view).toMatchObject({ status: 'resolved', resolvedBy: 'flightdeck', outage: { healthyInARow: 2 } });
    expect(await override()).toBeUndefined();
  } finally {
    await profile(5);
  }
});

it("a latency spike's policy caps the model's answers instead of moving its calls, and lifts the cap once probes are fast", async () => {
  const cap = async () =>
    (await db.pool.query('SELECT max_tokens, incident FROM output_caps WHERE model = $1', [PRIMARY])).rows[0];
  const view = await (
    await worker()
  ).runUntil(async () => {
    const handle = await start(
      outage('slow', {
        backup: undefined,
        mitigation: 'max-tokens',
        maxTokens: 64,
        reason: 'model-latency-shift fired',
      }),
    );
    await eventually(async () => (await cap())?.incident === handle.workflowId);
    expect(await cap()).toEqual({ max_tokens: 64, incident: handle.workflowId });
    expect(await override()).toBeUndefined();
    expect((await handle.query(incidentStatusQuery)).outage).toMatchObject({ maxTokens: 64 });
    return handle.result();
  });
  expect(view).toMatchObject({ status: 'resolved', outage: { healthyInARow: 3 } });
  expect(await cap()).toBeUndefined();
  const incident = await getIncident(db.pool, incidentWorkflowId('provider-outage', 'slow'));
  expect(incident.timeline.find((s) => s.step === 'mitigate')!.message).toMatch(/at most 64 output tokens/);
});
