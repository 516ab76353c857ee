import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Worker } from '@temporalio/worker';
import { startBackgroundTraffic, type BackgroundTraffic } from '../../src/cli/backgroundTraffic';
import { DEFAULT_JUDGE_MODEL } from '../../src/model/evalDefaults';
import { parsePromptFile } from '../../src/registry/promptFile';
import { resolvePrompt } from '../../src/registry/registry';
import { DEFAULT_ROLLOUT_OPTIONS } from '../../src/model/rolloutOptions';
import { parseSteps } from '../../src/model/rolloutSteps';
import { promotionWorkflow, type PromotionInput } from '../../workflows/promotion';
import { rolloutStatusQuery } from '../../workflows/rolloutMessages';
import { eventually, startGatewayHarness, type GatewayHarness } from '../harness/gateway';
import { simulatorProviders } from '../harness/providers';
import { connectDevServer, uniqueTaskQueue, workflowBundle, type DevServerHandles } from '../harness/temporal';
import { createFlightdeckWorker } from '../../workers/worker';

/** A support prompt with no fallbacks, so a failing model shows as errors. */
const version = (v: string, model: string) =>
  parsePromptFile(
    `name: canary-it
version: ${v}
owner: team
model: ${model}
variables: { question: { type: string }, context: { type: string } }
template: { system: "Answer only from the context ({{context}}).", user: "{{question}}" }
`,
    `canary-it-${v}.yaml`,
  );

/**
 * The canary end to end: real traffic from the official openai client through the gateway to the
 * simulator, the request log in Postgres, the rollout workflow on the real dev server.
 */
describe('the canary with real gateway traffic', () => {
  let h: GatewayHarness;
  let temporal: DevServerHandles;
  let worker: Worker;
  let running: Promise<void>;
  let traffic: BackgroundTraffic;
  let webhook: Server;
  const posted: Array<{ text: string; flightdeck: { kind: string; version: string } }> = [];
  const taskQueue = uniqueTaskQueue('canary');

  beforeAll(async () => {
    h = await startGatewayHarness();
    // 1.2.0 moves to another (cheaper) model, so a fault injected there hits the candidate only.
    await h.push(
      version('1.0.0', 'gpt-4o-mini-2024-07-18'),
      version('1.1.0', 'gpt-4o-mini-2024-07-18'),
      version('1.2.0', 'gpt-4.1-nano-2025-04-14'),
    );
    const quick = { ttftMs: 20, ttftSpreadMs: 5, perTokenMs: 1, perTokenSpreadMs: 0 };
    for (const model of ['default', 'gpt-4.1-nano-2025-04-14'])
      await fetch(`${h.sim.url}/admin/profiles/${model}`, { method: 'PUT', body: JSON.stringify(quick) });
    webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        posted.push(JSON.parse(body));
        res.end('ok');
      });
    }).listen(0);
    await once(webhook, 'listening');
    temporal = await connectDevServer();
    worker = await createFlightdeckWorker({
      connection: temporal.workerConnection,
      namespace: 'default',
      pool: h.db.pool,
      providers: simulatorProviders(h.sim.port),
      taskQueue,
      workflowBundle: workflowBundle(),
      webhookUrl: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`,
    });
    running = worker.run();
    traffic = startBackgroundTraffic(h.gateway.url, await h.tenant('app'), 'canary-it', 16);
  });
  afterAll(async () => {
    await traffic?.stop();
    worker?.shutdown();
    await running;
    await temporal?.close();
    webhook?.close();
    await h?.close();
  });

  const release = (v: string, steps: string, shadowSampleBp = 1000) => {
    const input: PromotionInput = {
      prompt: 'canary-it',
      version: v,
      skipEval: true,
      reason: 'test',
      actor: 'dev',
      judgeModel: DEFAULT_JUDGE_MODEL,
      repeat: 1,
      concurrency: 1,
      chunkSize: 5,
      rollout: {
        ...DEFAULT_ROLLOUT_OPTIONS,
        steps: parseSteps(steps),
        shadowSampleBp,
        intervalMs: 1000,
        judgeSamples: 3,
        judgeModel: DEFAULT_JUDGE_MODEL,
        limits: { failureLimit: 1, inconclusiveLimit: 30 },
      },
    };
    return temporal.client.workflow.start(promotionWorkflow, {
      taskQueue,
      workflowId: `promotion/canary-it/${v}-${taskQueue}`,
      args: [input],
    });
  };

  it('ramps a healthy version to 100% on passing analyses', async () => {
    const done = await (await release('1.1.0', '5:3s,50:3s,100')).result();
    expect(done.stage).toBe('promoted');
    expect(done.rollout!.steps.map((s) => s.state)).toEqual(['passed', 'passed', 'passed']);
    expect((await resolvePrompt(h.db.pool, 'canary-it')).version).toBe('1.1.0');

    const { rows } = await h.db.pool.query<{
      step_index: number;
      verdict: string;
      canary_requests: number;
      baseline_requests: number;
      metrics: Array<{ metric: string; verdict: string }>;
    }>(
      `SELECT step_index, verdict, canary_requests, baseline_requests, metrics FROM rollout_analyses WHERE prompt_name = 'canary-it' AND candidate_version = '1.1.0' ORDER BY id`,
    );
    // Each step advanced on a passing analysis of real traffic on both sides.
    for (const step of [0, 1]) {
      const last = rows.filter((r) => r.step_index === step).at(-1)!;
      expect(last.verdict).toBe('pass');
      expect(last.canary_requests).toBeGreaterThanOrEqual(50);
      expect(last.baseline_requests).toBeGreaterThanOrEqual(50);
    }
    // Sampled live answers were judged, and the judge's metric is part of the verdict.
    const judged = await h.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM judge_samples');
    expect(judged.rows[0]!.n).toBeGreaterThan(0);
    expect(rows.at(-1)!.metrics.map((m) => m.metric)).toContain('judge_score');
    // Slack-compatible webhook: start, each step, completion.
    const events = posted.filter((p) => p.flightdeck.version === '1.1.0');
    expect(events.map((p) => p.flightdeck.kind)).toEqual(['start', 'step', 'step', 'complete']);
    expect(events[1]!.text).toMatch(/\*canary-it@1\.1\.0\* now serves 5% of traffic/);
  });

  it('rolls back on its own when a regression appears at the 5% step', async () => {
    const handle = await release('1.2.0', '5:10m,50:10m,100');
    const rollout = temporal.client.workflow.getHandle('rollout/canary-it');
    // Healthy at first: the step holds on passing analyses.
    await eventually(async () => {
      const s = await rollout.query(rolloutStatusQuery).catch(() => undefined);
      return s?.version === '1.2.0' && s.analyses.some((a) => a.verdict === 'pass') ? s : undefined;
    }, 30_000);
    expect((await h.gateway.state.routes.get('canary-it'))?.candidate).toMatchObject({
      version: '1.2.0',
      weightBp: 500,
    });

    // The candidate's model starts failing a fifth of its calls. (How fast it is rolled back is measured by `npm run bench:canary`.)
    await fetch(`${h.sim.url}/admin/profiles/gpt-4.1-nano-2025-04-14`, {
      method: 'PUT',
      body: JSON.stringify({
        ttftMs: 20,
        ttftSpreadMs: 5,
        perTokenMs: 1,
        perTokenSpreadMs: 0,
        errors: { server: 0.2 },
      }),
    });
    const done = await handle.result();
    await eventually(() => h.gateway.state.routes.get('canary-it')?.candidate === undefined, 5000);

    expect(done.stage).toBe('rolled-back');
    expect(done.rollout).toMatchObject({ stage: 'aborted', stepIndex: 0 });
    expect(done.rollout!.decisions.at(-1)).toMatchObject({
      kind: 'abort',
      by: 'canary-analysis',
      reason: expect.stringMatching(/error_rate fail/),
    });
    expect((await resolvePrompt(h.db.pool, 'canary-it')).version).toBe('1.1.0');
    expect((await resolvePrompt(h.db.pool, 'canary-it', '1.2.0')).status).not.toBe('rejected');
    const audit = await h.db.pool.query(
      `SELECT actor, details FROM audit_log WHERE action = 'route.set' AND subject = 'canary-it' ORDER BY id DESC LIMIT 1`,
    );
    expect(audit.rows[0]).toMatchObject({
      actor: 'canary-analysis',
      details: { weightBp: 0, details: { analysis: { verdict: 'fail' } } },
    });
    expect(posted.filter((p) => p.flightdeck.version === '1.2.0').at(-1)).toMatchObject({
      flightdeck: { kind: 'abort' },
      text: expect.stringMatching(/rolled back to 1\.1\.0: analysis failed/),
    });
  }, 90_000);

  it('a shadow step compares the candidate on mirrored traffic it never serves, and stops a bad one there', async () => {
    // 1.3.0 on the degraded simulator model: slower answers, more refusals, shorter answers.
    await h.push(version('1.3.0', 'sim-degraded-2026-01-01'));
    const done = await (await release('1.3.0', 'shadow:2m,5:1m,100', 5000)).result();
    expect(done.rollout).toMatchObject({ stage: 'aborted', stepIndex: 0 });
    const reason = done.rollout!.decisions.at(-1)!.reason!;
    // Whichever of its faults shows first (slower, more errors, refusals, shorter answers) stops it.
    expect(reason).toMatch(/^analysis failed at step 1 \(\d+ canary \/ \d+ baseline requests\): \w+ fail: canary /);
    const { rows } = await h.db.pool.query<{ variant: string; n: number; mirrored: number }>(
      `SELECT variant, count(*)::int AS n, count(shadow_of)::int AS mirrored FROM requests WHERE prompt_name = 'canary-it' AND prompt_version = '1.3.0' GROUP BY variant`,
    );
    // Only shadow rows, each tied to the served request it mirrored: nobody was served 1.3.0.
    expect(rows).toEqual([{ variant: 'shadow', n: expect.any(Number), mirrored: expect.any(Number) }]);
    expect(rows[0]!.mirrored).toBe(rows[0]!.n);
    const analysis = await h.db.pool.query<{ shadow: boolean; metrics: Array<{ metric: string }> }>(
      `SELECT shadow, metrics FROM rollout_analyses WHERE candidate_version = '1.3.0' ORDER BY id DESC LIMIT 1`,
    );
    expect(analysis.rows[0]!.shadow).toBe(true);
    expect(analysis.rows[0]!.metrics.map((m) => m.metric)).toEqual(
      expect.arrayContaining([
        'judge_score',
        'output_length',
        'invalid_json_rate',
        'refusal_rate',
        'latency_p50',
        'cost_per_request',
      ]),
    );
    // The gateway hears of the cleared route by NOTIFY, a moment after the workflow ends.
    await eventually(() => h.gateway.state.routes.get('canary-it')?.shadow === undefined, 5000);
  }, 90_000);
});
