import { concludeRun, executeCases, prepareRun, validateCases, type EvalServices } from '../../src/evals/runner';
import { loadCaseResults } from '../../src/evals/runStore';
import { resolvePrompt } from '../../src/registry/registry';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { simulatorProviders } from '../harness/providers';
import { exampleDataset, fastSimulator, pushSupportAnswer } from '../fixtures/evals';

describe('the eval runner against the simulator and a real Postgres', () => {
  let db: TestDatabase;
  let sim: RunningSimulator;
  let services: EvalServices;
  const dataset = exampleDataset();

  beforeAll(async () => {
    db = await createTestDatabase();
    sim = await startSimulator({ seed: 7 });
    await fastSimulator(sim);
    services = { pool: db.pool, providers: simulatorProviders(sim.port), judgeModel: 'gpt-4.1-mini-2025-04-14' };
    await pushSupportAnswer(db.pool);
  });
  afterAll(async () => {
    await sim.close();
    await db.drop();
  });

  async function evaluate(ref: string, options: { repeat?: number; baselineRunId?: string } = {}) {
    const prompt = await resolvePrompt(db.pool, 'support-answer', ref);
    const run = await prepareRun(services, prompt, dataset, { repeat: options.repeat ?? 1 });
    const counters = await executeCases(services, run, prompt, dataset, { concurrency: 4 });
    const baseline = options.baselineRunId ? { ...run, id: options.baselineRunId } : undefined;
    const outcome = await concludeRun(db.pool, run, dataset, prompt.spec.eval?.floors, baseline);
    return { run, counters, outcome };
  }

  let goodRunId: string;

  it('passes the gate with a good version, storing every case with the run', async () => {
    const { run, counters, outcome } = await evaluate('1.1.0');
    goodRunId = run.id;
    expect(outcome.gate.passed).toBe(true);
    expect(outcome.summary.metrics.pass_rate!.mean).toBeGreaterThanOrEqual(0.9);
    expect(counters).toEqual({ candidateCalls: 12, judgeCalls: 12, judgeCacheHits: 0 });
    expect(await loadCaseResults(db.pool, run.id)).toHaveLength(12);
    const stored = await db.pool.query(
      'SELECT prompt_version, dataset_hash, judge_model, status FROM eval_runs WHERE id = $1',
      [run.id],
    );
    expect(stored.rows[0]).toEqual({
      prompt_version: '1.1.0',
      dataset_hash: dataset.hash,
      judge_model: 'gpt-4.1-mini-2025-04-14',
      status: 'finished',
    });
  });

  it('re-judges nothing on unchanged outputs, and gives the same scores', async () => {
    const { run, counters } = await evaluate('1.1.0');
    expect(counters).toEqual({ candidateCalls: 12, judgeCalls: 0, judgeCacheHits: 12 });
    const scores = async (id: string) => (await loadCaseResults(db.pool, id)).map((r) => r.score);
    expect(await scores(run.id)).toEqual(await scores(goodRunId));
  });

  it('fails the gate with a degraded version, on floors and on regression against the baseline', async () => {
    const { outcome } = await evaluate('1.2.0', { baselineRunId: goodRunId });
    expect(outcome.gate.passed).toBe(false);
    const failed = outcome.gate.checks.filter((c) => !c.passed).map((c) => `${c.kind}:${c.metric}`);
    expect(failed).toEqual(expect.arrayContaining(['floor:pass_rate', 'regression:pass_rate']));
    expect(outcome.comparison!.pass_rate!.losses).toBeGreaterThan(0);
    expect(outcome.summary.failures.length).toBeGreaterThan(2);
  });

  it('judges each output several times with --repeat and reports agreement', async () => {
    await fetch(`${sim.url}/admin/profiles/gpt-4.1-mini-2025-04-14`, {
      method: 'PUT',
      body: JSON.stringify({ ttftMs: 1, perTokenMs: 0, judgeNoise: 0.3 }),
    });
    const { counters, outcome } = await evaluate('1.0.0', { repeat: 3 });
    expect(counters.judgeCalls + counters.judgeCacheHits).toBe(36);
    expect(outcome.summary.judgeAgreement).toMatchObject({ samples: 3 });
    expect(outcome.summary.judgeAgreement!.meanSpread).toBeGreaterThan(0);
  });

  it('names the case and variable when a case does not fit the prompt', async () => {
    const prompt = await resolvePrompt(db.pool, 'support-answer', '1.1.0');
    const broken = { ...dataset, cases: [{ ...dataset.cases[0]!, id: 'no-question', vars: { context: 'c' } }] };
    expect(() => validateCases(prompt, broken)).toThrow(
      /case "no-question" vars do not fit support-answer@1\.1\.0: "question" is required/,
    );
  });
});
