import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { Connection, Client as TemporalClient } from '@temporalio/client';
import { storeDataset } from '../../src/evals/runStore';
import type { Dataset } from '../../src/evals/dataset';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server';
import { promotionWorkflow } from '../../workflows/promotion';
import { DEFAULT_ROLLOUT_OPTIONS } from '../../src/model/rolloutOptions';
import { parseSteps } from '../../src/model/rolloutSteps';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { harnessValue } from '../harness/harnessEnv';
import { spawnTs } from '../harness/childProcess';
import { uniqueTaskQueue } from '../harness/temporal';
import { exampleDataset, pushSupportAnswer } from '../fixtures/evals';

const JUDGE = 'gpt-4.1-mini-2025-04-14';
const CASES = 48;

async function startWorker(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  return (await spawnTs(path.join(__dirname, '..', 'harness', 'workerProcess.ts'), [], /^ready$/, env)).child;
}

/** The example cases repeated with new ids, for a run long enough to interrupt. */
function biggerDataset(): Dataset {
  const base = exampleDataset();
  const cases = Array.from({ length: CASES }, (_, i) => {
    const c = base.cases[i % base.cases.length]!;
    return { ...c, id: `${c.id}-${i}`, vars: { ...c.vars, question: `${c.vars.question} (ticket ${i})` } };
  });
  return { ...base, cases, hash: `${base.hash.slice(0, 50)}-kill-test` };
}

describe('a worker killed mid-eval', () => {
  let db: TestDatabase;
  let sim: RunningSimulator;
  let connection: Connection;
  let client: Client;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    sim = await startSimulator({});
    // Slow enough that the baseline eval is still running when we pull the plug.
    await fetch(`${sim.url}/admin/profiles/default`, {
      method: 'PUT',
      body: JSON.stringify({ ttftMs: 120, ttftSpreadMs: 0, perTokenMs: 0, perTokenSpreadMs: 0 }),
    });
    await pushSupportAnswer(db.pool);
    connection = await Connection.connect({ address: harnessValue('temporalAddress') });
    client = new TemporalClient({ connection });
  });
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    await connection.close();
    await sim.close();
    await db.drop();
  });

  it('resumes on another worker: every case stored once, finished judge calls not repeated', async () => {
    const dataset = biggerDataset();
    await storeDataset(db.pool, dataset);
    const taskQueue = uniqueTaskQueue('kill');
    const env = {
      ...process.env,
      DATABASE_URL: db.url,
      TEMPORAL_ADDRESS: harnessValue('temporalAddress'),
      TASK_QUEUE: taskQueue,
      FLIGHTDECK_SIMULATOR_PORT: String(sim.port),
      WORKFLOW_BUNDLE: harnessValue('workflowBundle'),
    };
    const first = await startWorker(env);
    workers.push(first);
    const handle = await client.workflow.start(promotionWorkflow, {
      taskQueue,
      workflowId: `promotion/support-answer/1.1.0-${taskQueue}`,
      // A one-step release: the canary itself has its own worker-kill test.
      args: [
        {
          prompt: 'support-answer',
          version: '1.1.0',
          datasetHash: dataset.hash,
          actor: 'test',
          judgeModel: JUDGE,
          repeat: 1,
          concurrency: 4,
          chunkSize: 12,
          rollout: { ...DEFAULT_ROLLOUT_OPTIONS, steps: parseSteps('100'), judgeSamples: 0, judgeModel: JUDGE },
        },
      ],
    });

    const stored = async () =>
      (await db.pool.query(`SELECT count(*)::int AS n FROM eval_case_results WHERE run_id LIKE '%/baseline'`)).rows[0]
        .n as number;
    while ((await stored()) < 14) await new Promise((r) => setTimeout(r, 50));
    first.kill('SIGKILL');
    const storedAtKill = await stored();
    expect(storedAtKill).toBeLessThan(CASES);

    workers.push(await startWorker(env));
    expect((await handle.result()).stage).toBe('promoted');

    const perRun = await db.pool.query(
      `SELECT run_id, count(*)::int AS n, count(DISTINCT case_id)::int AS d FROM eval_case_results GROUP BY run_id ORDER BY run_id`,
    );
    expect(perRun.rows.map((r) => [r.n, r.d])).toEqual([
      [CASES, CASES],
      [CASES, CASES],
    ]);
    const cached = (await db.pool.query('SELECT count(*)::int AS n FROM judge_cache')).rows[0].n as number;
    const stats = (await (await fetch(`${sim.url}/admin/stats`)).json()) as { byModel: Record<string, number> };
    // Judge calls for cases finished before the kill were cached and not made again; at most the
    // cases in flight at the kill (concurrency 4) were judged twice.
    expect(stats.byModel[JUDGE]! - cached).toBeGreaterThanOrEqual(0);
    expect(stats.byModel[JUDGE]! - cached).toBeLessThanOrEqual(4);
    expect(cached).toBe(CASES); // candidate outputs equal the baseline's: the candidate run was judged entirely from cache
  }, 120_000);
});
