import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { storeDataset } from '../../src/evals/runStore';
import { resolvePrompt } from '../../src/registry/registry';
import type { PromotionStatus } from '../../src/release/promotionStatus';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server';
import { promotionWorkflow, type PromotionInput } from '../../workflows/promotion';
import { approveSignal, cancelSignal, rejectSignal, statusQuery } from '../../workflows/promotionMessages';
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
    worker = await createFlightdeckWorker({ connection: env.nativeConnection, namespace: 'default', pool: db.pool, providers: simulatorProviders(sim.port), taskQueue: 'promo', workflowBundle: workflowBundle() });
    running = worker.run();
  });
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
    await sim?.close();
    await db?.drop();
  });

  async function start(prompt: string, version: string) {
    await pushSupportAnswerAs(db.pool, prompt);
    const input: PromotionInput = { prompt, version, datasetHash: dataset.hash, actor: 'dev', judgeModel: 'gpt-4.1-mini-2025-04-14', repeat: 1, concurrency: 4, chunkSize: 5 };
    return env.client.workflow.start(promotionWorkflow, { taskQueue: 'promo', workflowId: `promotion/${prompt}/${version}`, args: [input] });
  }

  async function waitForStage(handle: Awaited<ReturnType<typeof start>>, stage: PromotionStatus['stage']): Promise<PromotionStatus> {
    for (let i = 0; i < 200; i++) {
      const status = await handle.query(statusQuery);
      if (status.stage === stage) return status;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`never reached ${stage}`);
  }

  it('waits days for approval, then moves production', async () => {
    const handle = await start('promo-approve', '1.1.0');
    const waiting = await waitForStage(handle, 'awaiting-approval');
    expect(waiting.gate?.passed).toBe(true);
    expect(waiting.baselineVersion).toBe('1.0.0');
    expect((await resolvePrompt(db.pool, 'promo-approve', 'staging')).version).toBe('1.1.0');
    expect((await resolvePrompt(db.pool, 'promo-approve')).version).toBe('1.0.0');

    const before = await env.currentTimeMs();
    await env.sleep('3 days');
    expect(await env.currentTimeMs()).toBeGreaterThanOrEqual(before + 3 * 24 * 3600 * 1000);
    expect((await handle.query(statusQuery)).stage).toBe('awaiting-approval');

    await handle.signal(approveSignal, { actor: 'lead', reason: 'looks good' });
    const done = await handle.result();
    expect(done.stage).toBe('promoted');
    expect(done.decidedBy).toBe('lead');
    expect(done.history.map((h) => h.stage)).toEqual(['evaluating-baseline', 'evaluating', 'awaiting-approval', 'promoting', 'promoted']);
    expect((await resolvePrompt(db.pool, 'promo-approve')).version).toBe('1.1.0');
  });

  it('rejects on a human reject signal, marking the version rejected', async () => {
    const handle = await start('promo-reject', '1.1.0');
    await waitForStage(handle, 'awaiting-approval');
    await handle.signal(rejectSignal, { actor: 'lead', reason: 'tone is off' });
    expect((await handle.result()).stage).toBe('rejected');
    const version = await resolvePrompt(db.pool, 'promo-reject', '1.1.0');
    expect(version.status).toBe('rejected');
    expect((await resolvePrompt(db.pool, 'promo-reject')).version).toBe('1.0.0');
  });

  it('ends on cancel, leaving production where it was', async () => {
    const handle = await start('promo-cancel', '1.1.0');
    await waitForStage(handle, 'awaiting-approval');
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
    const { rows } = await db.pool.query(`SELECT status, rejection FROM prompt_versions WHERE prompt_name = 'promo-fail' AND version = '1.2.0'`);
    expect(rows[0].status).toBe('rejected');
    expect(rows[0].rejection.reason).toBe('eval gate failed');
    expect(rows[0].rejection.report).toMatch(/❌ gate failed/);
    await expect(resolvePrompt(db.pool, 'promo-fail', 'staging')).rejects.toThrow(/no label "staging"/);
  });
});
