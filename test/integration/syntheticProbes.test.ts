import { loadDataset, parseDataset } from '../../src/evals/dataset';
import { storeDataset } from '../../src/evals/runStore';
import { moveLabel } from '../../src/registry/labels';
import { readPromptFile } from '../../src/registry/promptFile';
import { syntheticProbesWorkflow } from '../../workflows/syntheticProbes';
import { runCli } from '../harness/cli';
import { startGatewayHarness, type GatewayHarness } from '../harness/gateway';
import { simulatorProviders } from '../harness/providers';
import { connectDevServer, uniqueTaskQueue, type DevServerHandles } from '../harness/temporal';

/**
 * Issue 15, synthetic probes: the scheduled workflow sends each production prompt's golden requests
 * through the real gateway as the synthetic probe tenant (logged as synthetic), scores them with the
 * dataset's checks, raises an alert when the provider fails them and resolves it when it recovers.
 */
const KEY = 'synthetic-probe:prompt=support-answer';
let h: GatewayHarness;
let temporal: DevServerHandles;
const taskQueue = uniqueTaskQueue('probes');
let passes = 0;
const pass = () =>
  temporal.client.workflow.execute(syntheticProbesWorkflow, {
    taskQueue,
    workflowId: `probes-${taskQueue}-${++passes}`,
  });
const alert = async () =>
  (await h.db.pool.query('SELECT state, summary, numbers FROM monitor_alerts WHERE key = $1 ORDER BY id DESC', [KEY]))
    .rows[0];

beforeAll(async () => {
  // Circuits that never open: each pass sees the provider as it is now (a real gateway's open
  // circuit fails probes for its cooldown, which is the truth, but not this test's subject).
  h = await startGatewayHarness({ config: { circuit: { failures: 1_000_000, cooldown_ms: 1000 } } });
  await h.push(readPromptFile('examples/prompts/support-answer.v1.0.0.yaml'));
  await moveLabel(h.db.pool, { name: 'support-answer', label: 'production', version: '1.0.0', actor: 'test' });
  await storeDataset(h.db.pool, loadDataset('examples/datasets/support-answer.yaml'));
  temporal = await connectDevServer();
  await temporal.runWorker(h.db.pool, taskQueue, simulatorProviders(h.sim.port), {
    gatewayUrls: [h.gateway.url],
  });
});
afterAll(async () => {
  await temporal?.close();
  await h?.close();
});

it('golden requests pass through the gateway as the synthetic tenant; a failing provider raises an alert, recovery resolves it', async () => {
  expect(await pass()).toEqual({ probes: 3, failed: 0, raised: 0 });
  expect(await alert()).toBeUndefined();
  // The probes went through the gateway's whole pipeline, as the synthetic tenant, flagged synthetic.
  const logged = await h.db.pool.query(
    "SELECT DISTINCT tenant_id, synthetic, prompt_version FROM requests WHERE prompt_name = 'support-answer'",
  );
  expect(logged.rows).toEqual([{ tenant_id: 'flightdeck-probes', synthetic: true, prompt_version: '1.0.0' }]);

  // Every model fails (the prompt's fallbacks too): the gateway cannot answer.
  h.sim.engine.faults.inject({ model: '*', kind: 'server', count: 1_000_000 });
  expect(await pass()).toEqual({ probes: 3, failed: 3, raised: 1 });
  expect(await alert()).toMatchObject({
    state: 'firing',
    summary: expect.stringMatching(
      /^3 of 3 golden requests to support-answer failed \(refund-window via http.*: HTTP 5\d\d/,
    ),
    numbers: expect.objectContaining({ failed: 3, probes: 3 }),
  });
  // Still failing: the same alert, not a second one.
  expect(await pass()).toMatchObject({ failed: 3, raised: 0 });

  h.sim.engine.faults.clear();
  expect(await pass()).toEqual({ probes: 3, failed: 0, raised: 0 });
  expect(await alert()).toMatchObject({ state: 'resolved' });
});

it('`probes run` prints each golden request and exits 1 when one fails its checks', async () => {
  const env = { DATABASE_URL: h.db.url, FLIGHTDECK_GATEWAY_URLS: h.gateway.url };
  const ok = await runCli(['probes', 'run', '--json'], env);
  expect(ok.code).toBe(0);
  expect(JSON.parse(ok.stdout).results.map((r: { caseId: string; passed: boolean }) => [r.caseId, r.passed])).toEqual([
    ['refund-window', true],
    ['refund-timing', true],
    ['free-shipping', true],
  ]);
  // A newer golden set expects what the answer does not say: the check fails, not the call.
  await storeDataset(
    h.db.pool,
    parseDataset(
      [
        'name: support-answer-probe',
        'prompt: support-answer',
        'cases:',
        '  - id: return-window-probe',
        '    vars: { question: How long do I have to return an item?, context: Items can be returned within 30 days. }',
        '    assert: [{ type: icontains, value: 45 days }, { type: rubric, value: never judged by a probe }]',
        '    tags: [probe]',
      ].join('\n'),
      'probe.yaml',
    ),
  );
  const bad = await runCli(['probes', 'run'], env);
  expect(bad.code).toBe(1);
  expect(bad.stdout).toMatch(/return-window-probe .*FAIL icontains: /);
  // The same key resolved a moment ago (above): within its 15-minute cooldown a flap stays quiet.
  expect(bad.stdout).toMatch(/0 alert\(s\) raised/);
  expect(await alert()).toMatchObject({ state: 'resolved' });
});

it("reuses the probe tenant's key across passes instead of rotating it each time", async () => {
  const rotations = async () =>
    Number(
      (
        await h.db.pool.query(
          "SELECT count(*) FROM audit_log WHERE action = 'tenant.key.rotate' AND subject = 'flightdeck-probes'",
        )
      ).rows[0].count,
    );
  await pass();
  const before = await rotations();
  await pass();
  await pass();
  expect(await rotations()).toBe(before);
});
