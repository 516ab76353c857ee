import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { storeDataset } from '../../src/evals/runStore';
import { resolvePrompt } from '../../src/registry/registry';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server';
import { promotionWorkflow, type PromotionInput } from '../../workflows/promotion';
import { cancelSignal } from '../../workflows/promotionMessages';
import { rollbackSignal, rolloutStatusQuery } from '../../workflows/rolloutMessages';
import { DEFAULT_ROLLOUT_OPTIONS } from '../../src/model/rolloutOptions';
import { parseSteps } from '../../src/model/rolloutSteps';
import { createFlightdeckWorker } from '../../workers/worker';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { simulatorProviders } from '../harness/providers';
import { timeSkippingEnvironment, workflowBundle } from '../harness/temporal';
import { exampleDataset, fastSimulator, pushSupportAnswerAs } from '../fixtures/evals';

describe('the promotion workflow (time skipping, real activities, Postgres and simulator)', () => {
  let env: TestWorkflowEnvironment;
  let db: TestDatabase;
  let sim: RunningSimulator;
  let worker: Worker;
  let running: Promise<void>;
  const dataset = exampleDataset();

  beforeAll(async () => {
    env = await timeSkippingEnvironment();
    db = await createTestDatabase();
    sim = await startSimulator({});
    await fastSimulator(sim);
    await storeDataset(db.pool, dataset);
    worker = await createFlightdeckWorker({
      connection: env.nativeConnection,
      namespace: 'default',
      pool: db.pool,
      providers: simulatorProviders(sim.port),
      taskQueue: 'promo',
      workflowBundle: workflowBundle(),
    });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
    await sim?.close();
    await db?.drop();
  });

  async function start(prompt: string, version: string, steps = '100') {
    await pushSupportAnswerAs(db.pool, prompt);
    const input: PromotionInput = {
      prompt,
      version,
      datasetHash: dataset.hash,
      actor: 'dev',
      judgeModel: 'gpt-4.1-mini-2025-04-14',
      repeat: 1,
      concurrency: 4,
      chunkSize: 5,
      rollout: {
        ...DEFAULT_ROLLOUT_OPTIONS,
        steps: parseSteps(steps),
        judgeSamples: 0,
        judgeModel: 'gpt-4.1-mini-2025-04-14',
      },
    };
    return env.client.workflow.start(promotionWorkflow, {
      taskQueue: 'promo',
      workflowId: `promotion/${prompt}/${version}`,
      args: [input],
    });
  }

  it('passes the gate, moves staging, then releases the candidate through the canary to production', async () => {
    const handle = await start('promo-release', '1.1.0');
    const done = await handle.result();
    expect(done.stage).toBe('promoted');
    expect(done.gate?.passed).toBe(true);
    expect(done.baselineVersion).toBe('1.0.0');
    expect(done.history.map((h) => h.stage)).toEqual(['evaluating-baseline', 'evaluating', 'rolling-out', 'promoted']);
    expect(done.rollout).toMatchObject({ workflowId: 'rollout/promo-release', stage: 'completed', version: '1.1.0' });
    expect((await resolvePrompt(db.pool, 'promo-release', 'staging')).version).toBe('1.1.0');
    expect((await resolvePrompt(db.pool, 'promo-release')).version).toBe('1.1.0');
  });

  it('a canary rolled back by on-call leaves production where it was and the candidate registered', async () => {
    const handle = await start('promo-rollback', '1.1.0', '5:1h,100');
    const rollout = env.client.workflow.getHandle('rollout/promo-rollback');
    for (let i = 0; i < 400; i++) {
      const stage = await rollout
        .query(rolloutStatusQuery)
        .then((s) => s.stage)
        .catch(() => undefined);
      if (stage === 'canary') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await rollout.signal(rollbackSignal, { actor: 'oncall', reason: 'tone is off' });
    const done = await handle.result();
    expect(done.stage).toBe('rolled-back');
    expect(done).toMatchObject({ decidedBy: 'oncall', reason: 'tone is off' });
    expect((await resolvePrompt(db.pool, 'promo-rollback')).version).toBe('1.0.0');
    expect((await resolvePrompt(db.pool, 'promo-rollback', '1.1.0')).status).toBe('registered');
  });

  it('ends on cancel after the eval, leaving production where it was', async () => {
    const handle = await start('promo-cancel', '1.1.0');
    await handle.signal(cancelSignal, { actor: 'lead' });
    const done = await handle.result();
    expect(done.stage).toBe('cancelled');
    expect((await resolvePrompt(db.pool, 'promo-cancel')).version).toBe('1.0.0');
    expect((await resolvePrompt(db.pool, 'promo-cancel', '1.1.0')).status).toBe('registered');
  });

  it('rejects a version whose eval fails the gate, keeping the report', async () => {
    const handle = await start('promo-fail', '1.2.0');
    const done = await handle.result();
    expect(done.stage).toBe('rejected');
    expect(done.gate?.passed).toBe(false);
    const { rows } = await db.pool.query(
      `SELECT status, rejection FROM prompt_versions WHERE prompt_name = 'promo-fail' AND version = '1.2.0'`,
    );
    expect(rows[0].status).toBe('rejected');
    expect(rows[0].rejection.reason).toBe('eval gate failed');
    expect(rows[0].rejection.report).toMatch(/❌ gate failed/);
    await expect(resolvePrompt(db.pool, 'promo-fail', 'staging')).rejects.toThrow(/no label "staging"/);
  });
});
