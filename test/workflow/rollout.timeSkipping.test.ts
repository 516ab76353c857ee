import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { AnalysisOutcome, Verdict } from '../../src/model/canaryVerdict';
import { DEFAULT_LIMITS } from '../../src/model/analysisPolicy';
import type { AnalysisRequest } from '../../src/release/canaryAnalysis';
import type { RolloutStatus } from '../../src/model/rolloutStatus';
import { parseSteps } from '../../src/model/rolloutSteps';
import { pushPrompts, resolvePrompt } from '../../src/registry/registry';
import { loadRoutes } from '../../src/routing/routeStore';
import { promotionWorkflow, type PromotionInput } from '../../workflows/promotion';
import { rolloutWorkflow, type RolloutInput } from '../../workflows/rollout';
import {
  approveSignal,
  pauseSignal,
  finishNowUpdate,
  skipStepUpdate,
  resumeSignal,
  rollbackSignal,
  rolloutStatusQuery,
} from '../../workflows/rolloutMessages';
import { FlightdeckStage, FlightdeckWeight } from '../../src/model/searchAttributes';
import { createFlightdeckWorker, flightdeckActivities } from '../../workers/worker';
import { tinyPrompt } from '../fixtures/prompts';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { simulatorProviders } from '../harness/providers';
import { timeSkippingEnvironment, workflowBundle } from '../harness/temporal';

/**
 * Every path of the rollout workflow on the real (time-skipping) test server with real routing
 * writes in Postgres. Only the analysis is scripted: what the request log would say is the input
 * under test here, not the statistics (those have their own tests).
 */
describe('the rollout workflow (time skipping)', () => {
  let env: TestWorkflowEnvironment;
  let db: TestDatabase;
  let worker: Worker;
  let running: Promise<void>;
  /** Per prompt: the verdicts its analyses return in order (then `pass`). */
  const scripts = new Map<string, Verdict[]>();
  const analyses: AnalysisRequest[] = [];
  /** Prompts whose analyses hang like a judge that takes forever, until cancelled (or 60 s of real time). */
  const slow = new Set<string>();
  const slowInFlight = new Set<string>();

  const analyseCanary = async (request: AnalysisRequest): Promise<AnalysisOutcome> => {
    analyses.push(request);
    if (slow.has(request.prompt)) {
      const context = Context.current();
      slowInFlight.add(request.prompt);
      const beat = setInterval(() => context.heartbeat(), 100);
      await Promise.race([
        new Promise((resolve) => context.cancellationSignal.addEventListener('abort', resolve)),
        new Promise((resolve) => setTimeout(resolve, 60_000)),
      ]);
      clearInterval(beat);
      slowInFlight.delete(request.prompt);
    }
    const verdict = scripts.get(request.prompt)?.shift() ?? 'pass';
    const metric = {
      metric: 'error_rate' as const,
      verdict,
      canary: verdict === 'fail' ? 0.09 : 0.01,
      baseline: 0.01,
      pValue: verdict === 'inconclusive' ? null : 0.001,
      reason: verdict,
    };
    return { verdict, canaryRequests: 120, baselineRequests: 2400, metrics: [metric] };
  };

  beforeAll(async () => {
    env = await timeSkippingEnvironment();
    db = await createTestDatabase();
    const providers = simulatorProviders(1);
    worker = await createFlightdeckWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      pool: db.pool,
      providers,
      taskQueue: 'rollout',
      workflowBundle: workflowBundle(),
      activities: { ...flightdeckActivities({ pool: db.pool, providers }), analyseCanary },
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
    await db?.drop();
  });

  async function pushed(prompt: string, ...versions: string[]) {
    await pushPrompts(
      db.pool,
      ['1.0.0', ...versions].map((v) => tinyPrompt(prompt, v, `Hello {{who}} (${v})`)),
      'dev',
    );
  }

  function input(prompt: string, steps: string, extra: Partial<RolloutInput> = {}): RolloutInput {
    return {
      prompt,
      version: '1.1.0',
      actor: 'dev',
      steps: parseSteps(steps),
      intervalMs: 60_000,
      limits: DEFAULT_LIMITS,
      shadowSampleBp: 1000,
      judgeSamples: 0,
      judgeModel: 'gpt-4.1-mini-2025-04-14',
      ...extra,
    };
  }

  async function start(prompt: string, steps: string, extra: Partial<RolloutInput> = {}) {
    await pushed(prompt, '1.1.0');
    return env.client.workflow.start(rolloutWorkflow, {
      taskQueue: 'rollout',
      workflowId: `rollout/${prompt}`,
      args: [input(prompt, steps, extra)],
    });
  }

  async function waitFor(
    handle: { query: (q: typeof rolloutStatusQuery) => Promise<RolloutStatus> },
    test: (s: RolloutStatus) => boolean,
  ): Promise<RolloutStatus> {
    for (let i = 0; i < 300; i++) {
      // The rollout may not have started yet (a child of a promotion).
      const status = await handle.query(rolloutStatusQuery).catch(() => undefined);
      if (status && test(status)) return status;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('the rollout never reached the expected state');
  }

  async function routeOf(prompt: string) {
    return (await loadRoutes(db.pool)).get(prompt)!;
  }

  async function routeWrites(prompt: string): Promise<Array<number | null>> {
    const { rows } = await db.pool.query<{ w: number | null }>(
      `SELECT (details->>'weightBp')::int AS w FROM audit_log WHERE action = 'route.set' AND subject = $1 ORDER BY id`,
      [prompt],
    );
    return rows.map((r) => r.w);
  }

  it('advances step by step, each after its hold and a passing analysis, then moves production', async () => {
    const handle = await start('ts-advance', '1:10m,5:10m,25:30m,100');
    const holding = await waitFor(handle, (s) => s.stage === 'canary');
    expect(holding).toMatchObject({ stepIndex: 0, weightBp: 100, baselineVersion: '1.0.0' });
    expect((await routeOf('ts-advance')).candidate).toMatchObject({ version: '1.1.0', weightBp: 100 });
    expect((await routeOf('ts-advance')).cohorts).toEqual(['free']);

    const done = await handle.result();
    expect(done.stage).toBe('completed');
    // A 10-minute hold analysed every minute: ten verdicts before it may advance.
    expect(done.steps.map((s) => [s.weightBp, s.state, s.verdicts.length])).toEqual([
      [100, 'passed', 10],
      [500, 'passed', 10],
      [2500, 'passed', 30],
      [10000, 'passed', 0],
    ]);
    expect((await resolvePrompt(db.pool, 'ts-advance')).version).toBe('1.1.0');
    expect((await routeOf('ts-advance')).candidate).toBeUndefined();
    // One routing write per step (no repeats), then the clear that goes with the production move.
    expect(await routeWrites('ts-advance')).toEqual([100, 500, 2500, 0]);
    const description = await handle.describe();
    expect(description.typedSearchAttributes.get(FlightdeckStage)).toBe('completed');
    expect(description.typedSearchAttributes.get(FlightdeckWeight)).toBe(100);
  });

  it('waits hours at a manual gate (analysing meanwhile), then advances on approve', async () => {
    const handle = await start('ts-gate', '5:10m,50:approve,100');
    await waitFor(handle, (s) => s.stage === 'canary');
    await env.sleep('11 minutes');
    await waitFor(handle, (s) => s.stage === 'awaiting-approval');
    await env.sleep('2 hours');
    const waiting = await handle.query(rolloutStatusQuery);
    expect(waiting).toMatchObject({ stage: 'awaiting-approval', stepIndex: 1, weightBp: 5000 });
    expect((await resolvePrompt(db.pool, 'ts-gate')).version).toBe('1.0.0');

    await handle.signal(approveSignal, { actor: 'lead', reason: 'numbers look fine' });
    const done = await handle.result();
    expect(done.stage).toBe('completed');
    expect(done.steps[1]).toMatchObject({ approvedBy: 'lead', state: 'passed' });
    expect(done.decisions.map((d) => d.kind)).toEqual(['start', 'advance', 'approve', 'advance', 'complete']);
  });

  it('pauses (no analysis, no step) and resumes', async () => {
    const handle = await start('ts-pause', '5:10m,25:10m,100');
    await waitFor(handle, (s) => s.stage === 'canary');
    await handle.signal(pauseSignal, { actor: 'oncall', reason: 'incident elsewhere' });
    await waitFor(handle, (s) => s.stage === 'paused');
    const before = analyses.filter((a) => a.prompt === 'ts-pause').length;
    await env.sleep('2 hours');
    const paused = await handle.query(rolloutStatusQuery);
    expect(paused).toMatchObject({ stage: 'paused', stepIndex: 0, weightBp: 500 });
    expect(analyses.filter((a) => a.prompt === 'ts-pause').length).toBe(before);

    await handle.signal(resumeSignal, { actor: 'oncall' });
    expect((await handle.result()).stage).toBe('completed');
  });

  it('promote skips to the next step at once; promoteFull finishes now, audited', async () => {
    const handle = await start('ts-promote', '1:1h,5:1h,25:1h,100');
    await waitFor(handle, (s) => s.stage === 'canary');
    const next = await handle.executeUpdate(skipStepUpdate, { args: [{ actor: 'lead', reason: 'hotfix confidence' }] });
    expect(next.stepIndex).toBe(1);
    expect(next.steps[0]!.state).toBe('skipped');
    await waitFor(handle, (s) => s.weightBp === 500);

    const full = await handle.executeUpdate(finishNowUpdate, { args: [{ actor: 'lead', reason: 'ship it' }] });
    expect(full.stage).toBe('completed');
    expect(full.decisions.at(-1)).toMatchObject({ kind: 'promote-full', by: 'lead', reason: 'ship it' });
    expect((await resolvePrompt(db.pool, 'ts-promote')).version).toBe('1.1.0');
    const audit = await db.pool.query(
      `SELECT actor, reason FROM audit_log WHERE action = 'label.move' AND subject = 'ts-promote' AND to_value = '1.1.0'`,
    );
    expect(audit.rows).toEqual([{ actor: 'lead', reason: 'ship it' }]);
    // A finished rollout refuses further updates.
    await expect(handle.executeUpdate(skipStepUpdate, { args: [{ actor: 'lead' }] })).rejects.toThrow();
  });

  it('aborts on a failed analysis: 100% back on stable, the numbers recorded, the candidate kept', async () => {
    scripts.set('ts-fail', ['pass', 'pass', 'fail']);
    const handle = await start('ts-fail', '1:2m,5:10m,100');
    const done = await handle.result();
    expect(done).toMatchObject({ stage: 'aborted', stepIndex: 1, weightBp: 0 });
    expect(done.decisions.at(-1)).toMatchObject({
      kind: 'abort',
      by: 'canary-analysis',
      reason: expect.stringContaining('error_rate fail: canary 0.090 vs 0.010'),
    });
    expect((await routeOf('ts-fail')).candidate).toBeUndefined();
    expect((await resolvePrompt(db.pool, 'ts-fail')).version).toBe('1.0.0');
    expect((await resolvePrompt(db.pool, 'ts-fail', '1.1.0')).status).not.toBe('rejected');
    const audit = await db.pool.query(
      `SELECT details FROM audit_log WHERE action = 'route.set' AND subject = 'ts-fail' ORDER BY id DESC LIMIT 1`,
    );
    expect(audit.rows[0].details.details.analysis).toMatchObject({ verdict: 'fail', canaryRequests: 120 });
  });

  it('aborts on a rollback signal from on-call', async () => {
    const handle = await start('ts-signal', '5:1h,100');
    await waitFor(handle, (s) => s.stage === 'canary');
    await handle.signal(rollbackSignal, { actor: 'oncall', reason: 'customers complain' });
    const done = await handle.result();
    expect(done.stage).toBe('aborted');
    expect(done.decisions.at(-1)).toMatchObject({ kind: 'abort', by: 'oncall', reason: 'customers complain' });
    expect((await routeOf('ts-signal')).candidate).toBeUndefined();
    // Nothing was in flight when it came, so nothing was cancelled: the abort's own webhook still went out.
    const history = await handle.fetchHistory();
    expect(history.events!.filter((e) => e.activityTaskCancelRequestedEventAttributes)).toHaveLength(0);
    const webhooks = new Set(
      history
        .events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'notifyRollout')
        .map((e) => String(e.eventId)),
    );
    const completed = history.events!.filter((e) =>
      webhooks.has(String(e.activityTaskCompletedEventAttributes?.scheduledEventId)),
    );
    expect(webhooks.size).toBe(3); // start, the first step, abort
    expect(completed).toHaveLength(webhooks.size);
  });

  it('pauses for a human after too many inconclusive analyses', async () => {
    scripts.set('ts-unsure', Array(DEFAULT_LIMITS.inconclusiveLimit + 1).fill('inconclusive'));
    const handle = await start('ts-unsure', '5:10m,100');
    await waitFor(handle, (s) => s.stage === 'canary');
    await env.sleep('10 minutes');
    const paused = await waitFor(handle, (s) => s.stage === 'paused');
    expect(paused.decisions.at(-1)).toMatchObject({ kind: 'pause', by: 'canary-analysis' });
    expect(paused.weightBp).toBe(500);
    await handle.signal(resumeSignal, { actor: 'lead', reason: 'traffic is back' });
    expect((await handle.result()).stage).toBe('completed');
  });

  it('continues as new on a long rollout without skipping or repeating a step', async () => {
    const handle = await start('ts-long', '1:30m,5:30m,100', { historyLimit: 40 });
    const done = await handle.result();
    expect(done.stage).toBe('completed');
    expect(done.generation).toBeGreaterThan(1);
    expect(done.steps.map((s) => s.verdicts.length)).toEqual([30, 30, 0]);
    expect(await routeWrites('ts-long')).toEqual([100, 500, 0]);
  });

  it('a new candidate mid-rollout sends traffic back to stable and its own rollout starts over', async () => {
    await pushed('ts-new', '1.1.0', '1.2.0');
    const promotion = (version: string): PromotionInput => ({
      prompt: 'ts-new',
      version,
      skipEval: true,
      reason: 'hotfix',
      actor: 'dev',
      judgeModel: 'gpt-4.1-mini-2025-04-14',
      repeat: 1,
      concurrency: 1,
      chunkSize: 5,
      rollout: input('ts-new', '5:1h,25:1h,100'),
    });
    const first = await env.client.workflow.start(promotionWorkflow, {
      taskQueue: 'rollout',
      workflowId: 'promotion/ts-new/1.1.0',
      args: [promotion('1.1.0')],
    });
    const rollout = env.client.workflow.getHandle('rollout/ts-new');
    await waitFor(rollout, (s) => s.stage === 'canary');
    await rollout.executeUpdate(skipStepUpdate, { args: [{ actor: 'dev' }] });

    const second = await env.client.workflow.start(promotionWorkflow, {
      taskQueue: 'rollout',
      workflowId: 'promotion/ts-new/1.2.0',
      args: [promotion('1.2.0')],
    });
    const superseded = await first.result();
    expect(superseded.stage).toBe('superseded');
    expect(superseded.rollout).toMatchObject({ version: '1.1.0', stage: 'superseded', weightBp: 0 });
    const done = await second.result();
    expect(done.stage).toBe('promoted');
    // The new rollout started over from its first step.
    expect(done.rollout!.steps.map((s) => s.state)).toEqual(['passed', 'passed', 'passed']);
    expect((await resolvePrompt(db.pool, 'ts-new')).version).toBe('1.2.0');
    expect(await routeWrites('ts-new')).toEqual([500, 2500, 0, 500, 2500, 0]);
    const skipped = await db.pool.query(
      `SELECT count(*)::int AS n FROM audit_log WHERE action = 'promotion.skip-eval' AND subject = 'ts-new'`,
    );
    expect(skipped.rows[0].n).toBe(2);
  });

  it('a rollback during an analysis with a slow judge takes effect at once: the analysis is cancelled, not awaited', async () => {
    slow.add('ts-slow');
    const handle = await start('ts-slow', '5:10m,100');
    await waitFor(handle, (s) => s.stage === 'canary');
    // The hold's first interval passes; the analysis starts and hangs.
    await env.sleep('1 minute');
    for (let i = 0; i < 200 && !slowInFlight.has('ts-slow'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(slowInFlight.has('ts-slow')).toBe(true);
    await handle.signal(rollbackSignal, { actor: 'oncall', reason: 'judge is slow, customers are not' });
    const done = await handle.result();
    expect(done.stage).toBe('aborted');
    expect(done.decisions.at(-1)).toMatchObject({ kind: 'abort', by: 'oncall' });
    expect((await routeOf('ts-slow')).candidate).toBeUndefined();
    // The hung analysis was cancelled (it returned long before its 60 s), and recorded no verdict.
    for (let i = 0; i < 200 && slowInFlight.has('ts-slow'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(slowInFlight.has('ts-slow')).toBe(false);
    expect(done.analyses).toEqual([]);
  });

  it('malformed signals are recorded and ignored, a missing actor is filled in, updates refuse bad payloads, text is capped', async () => {
    const handle = await start('ts-hostile', '5:1h,25:1h,100');
    await waitFor(handle, (s) => s.stage === 'canary');
    // Not a payload at all: recorded, ignored, and the workflow keeps working (no task failure loop).
    await handle.signal(pauseSignal, 'pause now please' as never);
    await handle.signal(approveSignal, 42 as never);
    const noted = await waitFor(handle, (s) => (s.ignoredSignals ?? []).length === 2);
    expect(noted.ignoredSignals!.map((i) => i.signal)).toEqual(['pause', 'approve']);
    expect(noted.stage).toBe('canary');
    // No input (the plain temporal CLI without --input): the actor is filled in and the pause happens.
    await handle.signal(pauseSignal, undefined as never);
    const paused = await waitFor(handle, (s) => s.stage === 'paused');
    expect(paused.decisions.at(-1)).toMatchObject({ kind: 'pause', by: 'unknown (no actor given)' });
    await handle.signal(resumeSignal, { actor: 'oncall', reason: 'x'.repeat(100_000) });
    const resumed = await waitFor(handle, (s) => s.stage === 'canary');
    expect(resumed.decisions.at(-1)!.reason).toHaveLength(500);
    // An update with no actor is refused before it does anything.
    await expect(handle.executeUpdate(skipStepUpdate, { args: [{} as never] })).rejects.toMatchObject({
      cause: { message: expect.stringMatching(/actor is required/) },
    });
    await expect(
      handle.executeUpdate(finishNowUpdate, { args: [{ actor: 'lead', reason: 'y'.repeat(501) }] }),
    ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/reason is at most 500/) } });
    expect((await handle.query(rolloutStatusQuery)).stepIndex).toBe(0);
    // A rollback with an empty payload still rolls back (defaulted actor), and a later proper one is not needed.
    await handle.signal(rollbackSignal, {} as never);
    const done = await handle.result();
    expect(done).toMatchObject({ stage: 'aborted', weightBp: 0 });
    expect(done.decisions.at(-1)).toMatchObject({ kind: 'abort', by: 'unknown (no actor given)' });
    expect((await routeOf('ts-hostile')).candidate).toBeUndefined();
  });

  it('salts the candidate bucketing with a secret of the rollout, so buckets cannot be computed from public ids', async () => {
    const handle = await start('ts-salt', '5:1h,100');
    await waitFor(handle, (s) => s.stage === 'canary');
    const route = await routeOf('ts-salt');
    expect(route.experimentId).toMatch(/^ts-salt@1\.1\.0#[0-9a-f-]{36}$/);
    await handle.signal(rollbackSignal, { actor: 'test' });
    await handle.result();
  });
});
