import type { Worker } from '@temporalio/worker';
import { OutageWatch } from '../../src/incidents/outageWatch';
import { probeModel } from '../../src/incidents/providerProbe';
import { incidentWorkflowId, type IncidentInput } from '../../src/model/incident';
import { DEFAULT_MONITOR_RULES, DEFAULT_PLAYBOOKS } from '../../src/monitoring/monitorRules';
import { createFlightdeckWorker } from '../../workers/worker';
import { incidentWorkflow } from '../../workflows/incident';
import { resolveIncidentSignal } from '../../workflows/incidentMessages';
import { eventually, startGatewayHarness, type GatewayHarness } from '../harness/gateway';
import { simulatorProviders } from '../harness/providers';
import { connectDevServer, uniqueTaskQueue, workflowBundle, type DevServerHandles } from '../harness/temporal';

/**
 * Issue 14, the fast path to the provider-outage playbook: the gateway's circuit to a failing model
 * opens and says so; the outage watch confirms with its own probes and starts the playbook, whose
 * override moves the gateway's calls to the backup. A circuit that opened on failures the provider
 * no longer shows (its probes answer) starts nothing.
 */
// Not the model other files run outage incidents for: incident ids are global on the shared dev server.
const PRIMARY = 'gpt-4.1-mini-2025-04-14';
const BACKUP = 'claude-haiku-4-5-20251001';
const FLAKY = 'gpt-4.1-nano-2025-04-14';
let h: GatewayHarness;
let temporal: DevServerHandles;
let worker: Worker;
let running: Promise<void>;
let key: string;
const taskQueue = uniqueTaskQueue('outage-watch');
const started: IncidentInput[] = [];
const probed: string[] = [];

const watch = () =>
  new OutageWatch({
    pool: h.db.pool,
    settings: () => ({
      rules: DEFAULT_MONITOR_RULES,
      playbooks: {
        ...DEFAULT_PLAYBOOKS,
        provider_outage: {
          ...DEFAULT_PLAYBOOKS.provider_outage,
          backups: { [PRIMARY]: BACKUP, [FLAKY]: BACKUP },
          probe_every_seconds: 3600,
          healthy_probes: 10,
          slow_probe_ms: 10_000,
        },
      },
    }),
    probe: (model) => {
      probed.push(model);
      return probeModel(simulatorProviders(h.sim.port), model, 2000);
    },
    start: async (incident) => {
      started.push(incident);
      await temporal.client.workflow.start(incidentWorkflow, {
        taskQueue,
        workflowId: incidentWorkflowId(incident.kind, incident.key),
        args: [incident],
      });
    },
    probeGapMs: 100,
  });

beforeAll(async () => {
  h = await startGatewayHarness({ config: { circuit: { failures: 3, cooldown_ms: 600_000 } } });
  key = await h.tenant('acme');
  temporal = await connectDevServer();
  worker = await createFlightdeckWorker({
    connection: temporal.workerConnection,
    namespace: 'default',
    pool: h.db.pool,
    providers: simulatorProviders(h.sim.port),
    taskQueue,
    workflowBundle: workflowBundle(),
  });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await temporal?.close();
  await h?.close();
});
afterEach(() => {
  h.sim.engine.faults.clear();
  started.length = 0;
  probed.length = 0;
});

const ask = (model: string) =>
  h
    .client(key, { maxRetries: 0 })
    .chat.completions.create({ model, messages: [{ role: 'user', content: 'Where is my parcel?' }] })
    .then((r) => r.model)
    .catch(() => 'failed');

it('a circuit that opened on failures the provider no longer shows starts nothing', async () => {
  const watching = watch();
  await watching.start();
  // Three failures open the gateway's circuit to the model; then the provider answers again.
  h.sim.engine.faults.inject({ model: FLAKY, kind: 'server', count: 3 });
  for (let i = 0; i < 3; i++) expect(await ask(FLAKY)).toBe('failed');
  await new Promise((resolve) => setTimeout(resolve, 500));
  await watching.close(); // waits for what it was considering
  expect(started).toEqual([]);
  expect(probed).toEqual([FLAKY]); // the first probe answered: no second one, no incident
});

it("a model failing everywhere: the gateway's circuit opens, the watch confirms and starts the playbook, calls move to the backup", async () => {
  const watching = watch();
  await watching.start();
  h.sim.engine.faults.inject({ model: PRIMARY, kind: 'server', count: 100_000 });
  for (let i = 0; i < 3; i++) expect(await ask(PRIMARY)).toBe('failed');
  // No fallbacks configured for the model: only the override can serve it now.
  await eventually(async () => (await ask(PRIMARY)) === BACKUP, 20_000);
  expect(started).toEqual([
    expect.objectContaining({
      kind: 'provider-outage',
      key: PRIMARY,
      alertKey: `model-availability:model=${PRIMARY}`,
      backup: BACKUP,
      actor: 'outage-watch',
    }),
  ]);
  await watching.close();
  const incident = temporal.client.workflow.getHandle(incidentWorkflowId('provider-outage', started[0]!.key));
  await incident.signal(resolveIncidentSignal, { actor: 'oncall', reason: 'test over' });
  expect(await incident.result()).toMatchObject({ status: 'resolved' });
});
