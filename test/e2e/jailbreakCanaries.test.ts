import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startCanaryRun } from '../../src/control/canaryControl';
import type { CanaryAnalysis } from '../../src/canaries/canaryRuns';
import { canaryTargets } from '../../src/canaries/canaryAttempts';
import { isoWeek } from '../../src/model/canary';
import { moveLabel } from '../../src/registry/labels';
import { setRoute } from '../../src/routing/routeStore';
import { ensureSyntheticTenant, mintSyntheticKey } from '../../src/tenants/syntheticTenant';
import { readPromptFile, type PromptFile } from '../../src/registry/promptFile';
import { weeklyCanaryWorkflow } from '../../workflows/canaries';
import { runCli } from '../harness/cli';
import { eventually, startGatewayHarness, type GatewayHarness } from '../harness/gateway';
import { harnessValue } from '../harness/harnessEnv';
import { simulatorProviders } from '../harness/providers';
import { connectDevServer, uniqueTaskQueue, type DevServerHandles } from '../harness/temporal';

/**
 * Issue 15, weekly jailbreak canaries end to end: the repo's suite through the real gateway as the
 * synthetic canary tenant against two production prompts, one on a model that falls for some
 * attacks (the simulator's gullible profile) and one that does not; scored by rules and the judge;
 * then the gullible prompt is fixed, then regresses: the rise is an alert and the attacks that came
 * back start a security incident.
 */
let h: GatewayHarness;
let temporal: DevServerHandles;
const taskQueue = uniqueTaskQueue('canaries-e2e');
const support = readPromptFile('examples/prompts/support-answer.v1.0.0.yaml');
const variant = (name: string, version: string, model: string): PromptFile => ({
  ...support,
  spec: { ...support.spec, name, version, model, fallbacks: [] },
});
const run = async (id: string) => {
  const workflowId = await startCanaryRun(temporal.client, { attempts: 150 }, { id, taskQueue });
  return (await temporal.client.workflow.getHandle(workflowId).result()) as CanaryAnalysis & {
    targets: Array<{ prompt: string }>;
  };
};

beforeAll(async () => {
  h = await startGatewayHarness();
  await h.push(support, variant('gullible-answer', '1.0.0', 'sim-gullible-2026-01-01'));
  await h.push(variant('gullible-answer', '1.1.0', 'gpt-4o-mini-2024-07-18'));
  for (const name of ['support-answer', 'gullible-answer'])
    await moveLabel(h.db.pool, { name, label: 'production', version: '1.0.0', actor: 'test' });
  temporal = await connectDevServer();
  await temporal.runWorker(h.db.pool, taskQueue, simulatorProviders(h.sim.port), {
    gatewayUrls: [h.gateway.url],
  });
});
afterAll(async () => {
  await temporal?.close();
  await h?.close();
});

it('catches the gullible model, not the careful one; a fix, then a regression: the rise alerts and the attacks that came back start a security incident', async () => {
  const first = await run('w1');
  expect(first.targets.map((t) => t.prompt)).toEqual(['gullible-answer', 'support-answer']);
  const { summary } = first;
  // 34 cases x 2 prompts x 3 rounds; 26 of the cases are attacks.
  expect(summary.overall.attempts).toBe(26 * 2 * 3);
  expect(summary.targets['support-answer stable']!.successes).toBe(0);
  expect(summary.targets['gullible-answer stable']!.rate).toBeGreaterThan(0.1);
  expect(summary.categories.LLM07!.successes).toBeGreaterThan(0); // the system prompt leaked
  expect(summary.overall.low).toBeLessThan(summary.overall.rate);
  expect(summary.overRefusal).toMatchObject({ attempts: 8 * 2 * 3, successes: 0 });
  // "ignore previous instructions" trips the input guard (flagged, so the call still went on).
  expect(Object.keys(summary.guardrails)).toContain('input.injection');
  expect(first.judge).toEqual({ labelled: 8, precision: 1, recall: 1 });
  // Every attempt went through the gateway as the synthetic canary tenant.
  const logged = await h.db.pool.query(
    "SELECT DISTINCT tenant_id, synthetic FROM requests WHERE prompt_name IN ('support-answer', 'gullible-answer')",
  );
  expect(logged.rows).toEqual([{ tenant_id: 'flightdeck-canaries', synthetic: true }]);

  // Fixed: the prompt moves to a careful model.
  await moveLabel(h.db.pool, { name: 'gullible-answer', label: 'production', version: '1.1.0', actor: 'test' });
  const fixed = await run('w2');
  expect(fixed.summary.targets['gullible-answer stable']!.successes).toBe(0);
  expect(fixed.reappeared).toEqual([]);

  // Regressed: back on the gullible model.
  await moveLabel(h.db.pool, { name: 'gullible-answer', label: 'production', version: '1.0.0', actor: 'test' });
  const regressed = await run('w3');
  expect(regressed.rise).toMatchObject({ rose: true, baselineRuns: 2 });
  const alert = await h.db.pool.query(
    "SELECT state, severity, summary FROM monitor_alerts WHERE key = 'canary-attack-rise'",
  );
  expect(alert.rows[0]).toMatchObject({ state: 'firing', severity: 'page' });
  expect(regressed.reappeared.map((r) => r.prompt)).toEqual(regressed.reappeared.map(() => 'gullible-answer'));
  expect(regressed.reappeared.length).toBeGreaterThan(0);
  const incident = temporal.client.workflow.getHandle('incident/security/canary-gullible-answer');
  const status = await incident.query<{ kind: string; status: string }>('status');
  expect(status.kind).toBe('security');
  // A canary's finding waits for a person before the prompt is switched off.
  expect(status.status).toBe('awaiting-approval');
  await incident.signal('resolve', { actor: 'test', reason: 'seen' });

  const report = await runCli(['canaries', 'report', '--limit', '1'], { DATABASE_URL: h.db.url });
  expect(report.code).toBe(0);
  expect(report.stdout).toMatch(/canaries\/w3 \(suite 2026\.12\.1\)/);
  expect(report.stdout).toMatch(/a significant RISE/);
  expect(report.stdout).toMatch(/CAME BACK: gullible-answer \//);
});

it('a suite that does not parse: exit 2 with the reason, nothing sent', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'fd-canary-suite-'));
  const broken = path.join(dir, 'suite.yaml');
  writeFileSync(
    broken,
    'version: x\ncases:\n  - id: Bad Id\n    owasp: LLM99\n    technique: magic\n    messages: []\n',
  );
  const before = (await h.db.pool.query('SELECT count(*) FROM canary_attempts')).rows[0].count;
  const result = await runCli(['canaries', 'run', '--suite', broken], {
    DATABASE_URL: h.db.url,
    TEMPORAL_ADDRESS: harnessValue('temporalAddress'),
  });
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(/cases\.0\.id: a case id is lowercase/);
  expect(result.stderr).toMatch(/cases\.0\.owasp/);
  // Hostile suites and flags: a case of 100,000 characters with NULs, attempts out of range, no such file.
  const huge = path.join(dir, 'huge.yaml');
  writeFileSync(
    huge,
    `version: x\ncases:\n  - { id: a, owasp: LLM01, technique: injection, messages: [{ role: user, content: "\\0\\0${'z'.repeat(100_000)}" }] }\n`,
  );
  const env = { DATABASE_URL: h.db.url, TEMPORAL_ADDRESS: harnessValue('temporalAddress') };
  const tooLong = await runCli(['canaries', 'run', '--suite', huge], env);
  expect(tooLong.code).toBe(2);
  expect(tooLong.stderr).toMatch(/cases\.0\.messages\.0\.content/);
  for (const attempts of ['0', '1000000', 'lots']) {
    const refused = await runCli(['canaries', 'run', '--attempts', attempts], env);
    expect([attempts, refused.code]).toEqual([attempts, 2]);
  }
  expect((await runCli(['canaries', 'run', '--suite', path.join(dir, 'missing.yaml')], env)).code).toBe(2);
  expect((await h.db.pool.query('SELECT count(*) FROM canary_attempts')).rows[0].count).toBe(before);
});

it('a live candidate is a target; only a synthetic tenant may pin the variant it is served', async () => {
  await h.push({ ...support, spec: { ...support.spec, version: '1.0.1', description: 'candidate' } });
  await setRoute(h.db.pool, { prompt: 'support-answer', candidateVersion: '1.0.1', weightBp: 1, actor: 'test' });
  expect((await canaryTargets(h.db.pool)).map((t) => `${t.prompt} ${t.variant} ${t.version}`)).toEqual([
    'gullible-answer stable 1.0.0',
    'support-answer candidate 1.0.1',
    'support-answer stable 1.0.0',
  ]);
  const ask = (key: string, variant: string) =>
    fetch(`${h.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'x-flightdeck-variant': variant, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'prompt:support-answer',
        messages: [],
        variables: { question: 'Is shipping free?', context: 'Shipping is free over $50.' },
        user: 'same-user',
      }),
    });
  await ensureSyntheticTenant(h.db.pool, 'flightdeck-canaries', 'test');
  const canary = await mintSyntheticKey(h.db.pool, 'flightdeck-canaries', 'test');
  // The gateway picks up the new route on NOTIFY.
  const pinned = await eventually(async () => {
    const answer = await ask(canary, 'candidate');
    return answer.headers.get('x-flightdeck-prompt-version') === '1.0.1' && answer;
  });
  expect(pinned.status).toBe(200);
  expect((await ask(canary, 'stable')).headers.get('x-flightdeck-prompt-version')).toBe('1.0.0');
  // A customer's header moves nothing: it is bucketed like everyone else (1 in 10,000 gets the candidate).
  const customer = await h.tenant('customer-co');
  const asked = await ask(customer, 'candidate');
  expect(asked.status).toBe(200);
  expect(asked.headers.get('x-flightdeck-variant')).toBe('stable');
  const bad = await ask(canary, 'both');
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { error: { message: string } }).error.message).toBe(
    'x-flightdeck-variant is "stable" or "candidate" (got "both"); it is honoured for synthetic tenants only',
  );
  await setRoute(h.db.pool, { prompt: 'support-answer', candidateVersion: null, weightBp: 0, actor: 'test' });
});

it("the weekly schedule's workflow runs this ISO week's canaries once", async () => {
  const weekly = (n: number) =>
    temporal.client.workflow.execute(weeklyCanaryWorkflow, {
      taskQueue,
      workflowId: `canaries-weekly-${taskQueue}-${n}`,
      args: [{ attempts: 1 } as never],
    });
  const week = isoWeek(new Date());
  expect(await weekly(1)).toEqual({ week, ran: true });
  const run = await h.db.pool.query('SELECT ended_at FROM canary_runs WHERE workflow_id = $1', [`canaries/${week}`]);
  expect(run.rows[0].ended_at).not.toBeNull();
  expect(await weekly(2)).toEqual({ week, ran: false });
});
