import { loadEnv } from '../../src/config/env';
import { DEFAULT_JUDGE_MODEL } from '../../src/model/evalDefaults';
import { Judge } from '../../src/evals/judge';
import { defaultProviderConfig } from '../../src/providers/config';
import { ProviderDirectory } from '../../src/providers/directory';
import { parsePromptFile } from '../../src/registry/promptFile';
import { analyseCanary } from '../../src/release/canaryAnalysis';
import { readCanaryWindow } from '../../src/release/canaryWindow';
import { setRoute } from '../../src/routing/routeStore';
import { eventually, startGatewayHarness, type GatewayHarness } from '../harness/gateway';

/**
 * Issue 10, item 8: a tenant that picks its bucket, hangs up on the candidate and votes its answers
 * down must not abort a healthy canary. Replayed through the real gateway, log and analysis.
 */
let h: GatewayHarness;
// Both versions on one model: the candidate is healthy, as good as stable in every metric.
const MODEL = 'gpt-4o-mini-2024-07-18';

beforeAll(async () => {
  h = await startGatewayHarness({ config: { circuit: { failures: 3, cooldown_ms: 10_000 } } });
  const version = (v: string, greeting: string) =>
    parsePromptFile(
      `name: greet\nversion: ${v}\nowner: team\nmodel: ${MODEL}\nvariables: { who: { type: string } }\ntemplate: { user: "${greeting} {{who}}" }\n`,
      `greet-${v}.yaml`,
    );
  await h.push(version('1.0.0', 'Say hello to'), version('1.1.0', 'Please say hello to'));
  await setRoute(h.db.pool, { prompt: 'greet', candidateVersion: '1.1.0', weightBp: 5000, actor: 'test' });
  await eventually(() => h.gateway.state.routes.get('greet')?.candidate?.weightBp === 5000);
});
afterAll(() => h.close());

async function call(key: string, user: string, signal?: AbortSignal) {
  const response = await fetch(`${h.gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'prompt:greet', messages: [], variables: { who: user }, user }),
    signal,
  });
  await response.text();
  return {
    status: response.status,
    id: response.headers.get('x-flightdeck-request-id')!,
    version: response.headers.get('x-flightdeck-prompt-version'),
  };
}

it('hung-up requests are 499s that open no circuit and count as no error; a failure resting on one tenant is inconclusive', async () => {
  const attacker = await h.tenant('mallory');
  const honest = await h.tenant('acme');
  const from = new Date();

  // The attacker hangs up on 17 requests while the provider is slow to answer: once all 17 are at the provider.
  h.sim.engine.faults.inject({ kind: 'hang', model: MODEL, count: 1000 });
  const controllers = Array.from({ length: 17 }, () => new AbortController());
  const calls = controllers.map((controller, i) =>
    call(attacker, `probe-${i}`, controller.signal).catch(() => 'aborted'),
  );
  await eventually(() => h.sim.engine.faults.list()[0]?.remaining === 1000 - 17, 15_000);
  controllers.forEach((controller) => controller.abort());
  const hungUp = await Promise.all(calls);
  expect(hungUp.every((r) => r === 'aborted')).toBe(true);
  h.sim.engine.faults.clear();
  // No circuit opened: hanging up says nothing about the provider.
  expect(h.gateway.metrics.registry.getSingleMetric('flightdeck_gateway_circuit_state')).toBeDefined();
  const circuits = (await h.gateway.metrics.registry.getSingleMetricAsString('flightdeck_gateway_circuit_state'))
    .split('\n')
    .filter((l) => l.includes(MODEL));
  expect(circuits.every((line) => line.endsWith(' 0'))).toBe(true);

  // Then it votes every candidate answer it gets down; the honest tenant's traffic is healthy.
  const attackerAnswers = await Promise.all(Array.from({ length: 120 }, (_, i) => call(attacker, `user-${i}`)));
  for (const answer of attackerAnswers.filter((a) => a.version === '1.1.0')) {
    await fetch(`${h.gateway.url}/v1/feedback`, {
      method: 'POST',
      headers: { authorization: `Bearer ${attacker}` },
      body: JSON.stringify({ request_id: answer.id, score: -1 }),
    });
  }
  const honestAnswers = await Promise.all(Array.from({ length: 160 }, (_, i) => call(honest, `customer-${i}`)));
  expect(honestAnswers.every((a) => a.status === 200)).toBe(true);
  for (const answer of honestAnswers) {
    await fetch(`${h.gateway.url}/v1/feedback`, {
      method: 'POST',
      headers: { authorization: `Bearer ${honest}` },
      body: JSON.stringify({ request_id: answer.id, score: 1 }),
    });
  }
  const sent = 17 + attackerAnswers.length + honestAnswers.length;
  const to = new Date(Date.now() + 1000);
  await eventually(
    async () =>
      Number((await h.db.pool.query(`SELECT count(*) FROM requests WHERE prompt_name = 'greet'`)).rows[0].count) ===
      sent,
    10_000,
  );

  const rows = await h.db.pool.query<{ status: number; error_class: string; n: string }>(
    `SELECT status, error_class, count(*) AS n FROM requests WHERE tenant_id = 'mallory' AND status <> 200 GROUP BY 1, 2`,
  );
  expect(rows.rows).toEqual([{ status: 499, error_class: 'client_closed', n: '17' }]);
  const window = await readCanaryWindow(h.db.pool, { prompt: 'greet', candidateVersion: '1.1.0', from, to });
  expect(window.candidate.errors).toBe(0);
  expect(window.candidate.negativeFeedback).toBeGreaterThan(20);

  const request = {
    workflowId: 'rollout/greet-test',
    prompt: 'greet',
    candidateVersion: '1.1.0',
    stepIndex: 0,
    weightBp: 5000,
    shadow: false,
    from: from.toISOString(),
    to: to.toISOString(),
    judgeSamples: 0,
  };
  const attacked = await analyseCanary(h.db.pool, undefined, request);
  expect({
    verdict: attacked.verdict,
    failing: attacked.metrics.filter((m) => m.verdict === 'fail').map((m) => m.metric),
  }).toEqual({ verdict: 'inconclusive', failing: ['negative_feedback_rate'] });
  expect(attacked.error).toMatch(/tenant mallory alone/);

  // Control: when the honest tenant finds the candidate bad too, the failure stands.
  for (const answer of honestAnswers.filter((a) => a.version === '1.1.0')) {
    await fetch(`${h.gateway.url}/v1/feedback`, {
      method: 'POST',
      headers: { authorization: `Bearer ${honest}` },
      body: JSON.stringify({ request_id: answer.id, score: -1 }),
    });
  }
  const confirmed = await analyseCanary(h.db.pool, undefined, { ...request, stepIndex: 1 });
  expect(confirmed.verdict).toBe('fail');
  expect(confirmed.metrics.find((m) => m.metric === 'negative_feedback_rate')?.verdict).toBe('fail');

  // With the judge on, live answers of the window are sampled and scored (the same sample query).
  const env = loadEnv({ FLIGHTDECK_SIMULATOR_PORT: String(h.sim.port) });
  const judge = new Judge(
    h.db.pool,
    new ProviderDirectory(defaultProviderConfig(env), env, 'http'),
    DEFAULT_JUDGE_MODEL,
  );
  await analyseCanary(h.db.pool, judge, { ...request, stepIndex: 2, judgeSamples: 3 });
  const scored = await h.db.pool.query(`SELECT count(*)::int AS n FROM judge_samples`);
  expect(scored.rows[0].n).toBe(6);
}, 60_000);
