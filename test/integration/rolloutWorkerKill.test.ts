import type { ChildProcess } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { pushPrompts, resolvePrompt } from '../../src/registry/registry';
import { DEFAULT_ROLLOUT_OPTIONS } from '../../src/model/rolloutOptions';
import { parseSteps } from '../../src/model/rolloutSteps';
import { rolloutWorkflow } from '../../workflows/rollout';
import { rolloutStatusQuery } from '../../workflows/rolloutMessages';
import { tinyPrompt } from '../fixtures/prompts';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { eventually } from '../harness/gateway';
import { harnessValue } from '../harness/harnessEnv';
import { uniqueTaskQueue } from '../harness/temporal';
import { spawnWorkerProcess } from '../harness/workerChild';

const PROMPT = 'kill-canary';

/**
 * Healthy traffic for both variants, written straight into the request log: this test is about
 * the workflow surviving dead workers, and the gateway's rows are tested elsewhere.
 */
function feedHealthyTraffic(db: TestDatabase): () => void {
  let n = 0;
  const timer = setInterval(() => {
    const rows = Array.from({ length: 40 }, (_, i) => ({
      ts: new Date().toISOString(),
      request_id: `feed-${n++}`,
      prompt_name: PROMPT,
      prompt_version: i % 2 ? '1.1.0' : '1.0.0',
      variant: i % 2 ? 'candidate' : 'stable',
      latency_ms_total: 100 + ((n * 37) % 50),
      ttft_ms: 40 + ((n * 13) % 20),
      cost_usd: 0.0001,
      status: 200,
      fallback_used: false,
      input_tokens: 20,
      cached_tokens: 0,
      output_tokens: 10,
      guardrail_decision: 'allow',
      guardrails: [],
      cache_hit: false,
      output_chars: 40,
      attempts: [],
      synthetic: false,
    }));
    void db.pool
      .query('INSERT INTO requests SELECT * FROM json_populate_recordset(NULL::requests, $1)', [JSON.stringify(rows)])
      .catch(() => undefined);
  }, 200);
  return () => clearInterval(timer);
}

describe('a worker killed during a rollout', () => {
  let db: TestDatabase;
  let connection: Connection;
  let client: Client;
  let stopFeed: () => void;
  const workers: ChildProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    await pushPrompts(
      db.pool,
      [tinyPrompt(PROMPT, '1.0.0', 'Hi {{who}}'), tinyPrompt(PROMPT, '1.1.0', 'Hello {{who}}')],
      'test',
    );
    connection = await Connection.connect({ address: harnessValue('temporalAddress') });
    client = new Client({ connection });
    stopFeed = feedHealthyTraffic(db);
  });
  afterAll(async () => {
    stopFeed?.();
    for (const w of workers) w.kill('SIGKILL');
    await connection?.close();
    await db?.drop();
  });

  it('resumes exactly where it was: mid-routing-write, mid-analysis and mid-hold', async () => {
    const taskQueue = uniqueTaskQueue('rollout-kill');
    const startWorker = async (slowActivity?: string) => {
      const child = await spawnWorkerProcess({
        databaseUrl: db.url,
        taskQueue,
        slow: slowActivity ? { activity: slowActivity } : undefined,
      });
      workers.push(child);
      return child;
    };
    const reported = (child: ChildProcess, line: string) =>
      new Promise<void>((resolve) =>
        child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes(line) && resolve()),
      );

    // 1. Killed after the first step's routing write committed, before Temporal heard of it.
    const first = await startWorker('applyStepRoute');
    const firstWrite = reported(first, 'applyStepRoute done');
    const handle = await client.workflow.start(rolloutWorkflow, {
      taskQueue,
      workflowId: `rollout/${PROMPT}`,
      args: [
        {
          ...DEFAULT_ROLLOUT_OPTIONS,
          steps: parseSteps('1:3s,5:3s,25:3s,100'),
          intervalMs: 1000,
          judgeSamples: 0,
          judgeModel: 'gpt-4.1-mini-2025-04-14',
          prompt: PROMPT,
          version: '1.1.0',
          actor: 'test',
        },
      ],
    });
    await firstWrite;
    first.kill('SIGKILL');

    // 2. Killed after an analysis stored its verdict, before reporting it.
    const second = await startWorker('analyseCanary');
    await reported(second, 'analyseCanary done');
    second.kill('SIGKILL');

    // 3. Killed mid-hold of a later step (a timer pending, nothing running).
    const third = await startWorker();
    await eventually(async () => {
      const s = await handle.query(rolloutStatusQuery);
      return s.stepIndex >= 1 && s.stage === 'canary';
    }, 60_000);
    third.kill('SIGKILL');

    await startWorker();
    const done = await handle.result();

    expect(done.stage).toBe('completed');
    expect(done.decisions.map((d) => d.kind)).toEqual(['start', 'advance', 'advance', 'advance', 'complete']);
    expect(done.steps.map((s) => s.state)).toEqual(['passed', 'passed', 'passed', 'passed']);
    // One routing write per step and one clear: none skipped, none repeated.
    const writes = await db.pool.query<{ w: number }>(
      `SELECT (details->>'weightBp')::int AS w FROM audit_log WHERE action = 'route.set' AND subject = $1 ORDER BY id`,
      [PROMPT],
    );
    expect(writes.rows.map((r) => r.w)).toEqual([100, 500, 2500, 0]);
    // Production moved exactly once.
    const moves = await db.pool.query(
      `SELECT to_value FROM audit_log WHERE action = 'label.move' AND subject = $1 AND details->>'label' = 'production' ORDER BY id`,
      [PROMPT],
    );
    expect(moves.rows.map((r) => r.to_value)).toEqual(['1.0.0', '1.1.0']);
    expect((await resolvePrompt(db.pool, PROMPT)).version).toBe('1.1.0');
    // The verdict stored before the second kill is the one the workflow used (decided once).
    const analyses = await db.pool.query<{ step_index: number; verdict: string }>(
      'SELECT step_index, verdict FROM rollout_analyses WHERE prompt_name = $1 ORDER BY id',
      [PROMPT],
    );
    expect(new Set(analyses.rows.map((r) => r.step_index))).toEqual(new Set([0, 1, 2]));
    expect(done.steps.slice(0, 3).reduce((sum, s) => sum + s.verdicts.length, 0)).toBe(analyses.rows.length);
  }, 180_000);
});
