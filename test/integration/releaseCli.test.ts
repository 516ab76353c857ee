import type { Worker } from '@temporalio/worker';
import { storeDataset } from '../../src/evals/runStore';
import { resolvePrompt } from '../../src/registry/registry';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server';
import { TASK_QUEUE } from '../../src/temporal/connection';
import { scheduledEvalWorkflow } from '../../workflows/scheduledEval';
import { FlightdeckStage } from '../../workflows/searchAttributes';
import { runCli } from '../harness/cli';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { harnessValue } from '../harness/harnessEnv';
import { simulatorProviders } from '../harness/providers';
import { connectDevServer, uniqueTaskQueue, type DevServerHandles } from '../harness/temporal';
import { DATASET_PATH, LABELS_PATH, exampleDataset, fastSimulator, pushSupportAnswer } from '../fixtures/evals';

// The only test file whose worker polls the real `flightdeck` task queue: the CLI starts workflows there.
describe('promote, rollout and schedules from the CLI on the real dev server', () => {
  let db: TestDatabase;
  let sim: RunningSimulator;
  let temporal: DevServerHandles;
  let worker: Worker;
  let running: Promise<void>;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, env);

  beforeAll(async () => {
    db = await createTestDatabase();
    sim = await startSimulator({});
    await fastSimulator(sim);
    await pushSupportAnswer(db.pool);
    env = { DATABASE_URL: db.url, TEMPORAL_ADDRESS: harnessValue('temporalAddress'), FLIGHTDECK_SIMULATOR_PORT: String(sim.port), FLIGHTDECK_ACTOR: 'release-manager' };
    temporal = await connectDevServer();
    worker = await temporal.worker(db.pool, TASK_QUEUE, simulatorProviders(sim.port));
    running = worker.run();
  });
  afterAll(async () => {
    worker.shutdown();
    await running;
    await temporal.close();
    await sim.close();
    await db.drop();
  });

  it('refuses to promote with an uncalibrated judge, then promotes, reports status, and approves', async () => {
    const refused = await cli('promote', 'support-answer@1.1.0', '--dataset', DATASET_PATH);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/has not been calibrated/);
    expect((await cli('eval', 'calibrate', '--labels', LABELS_PATH)).code).toBe(0);

    const started = await cli('promote', 'support-answer@1.1.0', '--dataset', DATASET_PATH, '--json');
    expect(started.code).toBe(0);
    expect(JSON.parse(started.stdout).workflowId).toBe('promotion/support-answer/1.1.0');
    const twice = await cli('promote', 'support-answer@1.1.0', '--dataset', DATASET_PATH);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/already running/);

    let status = JSON.parse((await cli('rollout', 'status', 'support-answer', '--json')).stdout);
    for (let i = 0; i < 300 && status.stage !== 'awaiting-approval'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = JSON.parse((await cli('rollout', 'status', 'support-answer', '--json')).stdout);
    }
    expect(status).toMatchObject({ stage: 'awaiting-approval', baselineVersion: '1.0.0', gate: { passed: true } });
    const text = await cli('rollout', 'status', 'support-answer');
    expect(text.stdout).toMatch(/support-answer@1\.1\.0: awaiting-approval/);
    expect(text.stdout).toMatch(/Next: `flightdeck rollout approve support-answer`/);

    const description = await temporal.client.workflow.getHandle('promotion/support-answer/1.1.0').describe();
    expect(description.typedSearchAttributes.get(FlightdeckStage)).toBe('awaiting-approval');

    const approved = await cli('rollout', 'approve', 'support-answer', '--reason', 'gate green', '--json');
    expect(approved.code).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ stage: 'promoted', decidedBy: 'release-manager' });
    expect((await resolvePrompt(db.pool, 'support-answer')).version).toBe('1.1.0');
    const after = await cli('rollout', 'approve', 'support-answer');
    expect(after.code).toBe(2);
    expect(after.stderr).toMatch(/has already ended/);
  });

  it('installs the schedules idempotently and lists them', async () => {
    const first = JSON.parse((await cli('schedules', 'install', '--json')).stdout);
    const second = JSON.parse((await cli('schedules', 'install', '--json')).stdout);
    expect(first).toEqual([{ id: 'flightdeck-scheduled-eval', outcome: expect.stringMatching(/created|updated/) }]);
    expect(second).toEqual([{ id: 'flightdeck-scheduled-eval', outcome: 'updated' }]);
    const list = JSON.parse((await cli('schedules', 'list', '--json')).stdout);
    expect(list[0]).toMatchObject({ id: 'flightdeck-scheduled-eval', installed: true });
    expect(Date.parse(list[0].nextRuns[0])).toBeGreaterThan(Date.now());
  });

  it('the scheduled eval raises an alert when production silently gets worse', async () => {
    const dataset = exampleDataset();
    await storeDataset(db.pool, dataset);
    const taskQueue = uniqueTaskQueue('scheduled');
    const own = await temporal.worker(db.pool, taskQueue, simulatorProviders(sim.port));
    await own.runUntil(async () => {
      const run = () => temporal.client.workflow.execute(scheduledEvalWorkflow, { taskQueue, workflowId: `scheduled-eval-${taskQueue}-${Date.now()}` });
      const healthy = await run();
      expect(healthy).toEqual([expect.objectContaining({ prompt: 'support-answer', passed: true, alerted: false })]);
      // The provider changes the model behind the same id: answers get worse, nothing else changes.
      await fetch(`${sim.url}/admin/profiles/gpt-4o-mini-2024-07-18`, { method: 'PUT', body: JSON.stringify({ ttftMs: 2, perTokenMs: 0, quality: { off_context: 0.6, refusal: 0.3 } }) });
      const degraded = await run();
      expect(degraded).toEqual([expect.objectContaining({ prompt: 'support-answer', alerted: true })]);
    });
    const alerts = await db.pool.query(`SELECT kind, subject, message FROM alerts`);
    expect(alerts.rows).toEqual([{ kind: 'eval.drop', subject: 'support-answer', message: expect.stringMatching(/dropped by .* against the last passing run/) }]);
  });
});
