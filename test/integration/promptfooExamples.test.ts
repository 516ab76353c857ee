import { readdirSync } from 'node:fs';
import path from 'node:path';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server';
import { runCli } from '../harness/cli';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { fastSimulator } from '../fixtures/evals';

const SUITES = path.join(__dirname, '..', '..', 'examples', 'promptfoo');
const suites = readdirSync(SUITES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

interface EvalJson {
  summary: { cases: number; errors: number; failures: Array<{ caseId: string; reasons: string[] }> };
}

describe("promptfoo's own example suites run as written (examples/promptfoo)", () => {
  let db: TestDatabase;
  let sim: RunningSimulator;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    sim = await startSimulator({});
    await fastSimulator(sim);
    env = { DATABASE_URL: db.url, FLIGHTDECK_SIMULATOR_PORT: String(sim.port), FLIGHTDECK_ACTOR: 'ci' };
  });
  afterAll(async () => {
    await sim.close();
    await db.drop();
  });

  it('holds at least five suites', () => {
    expect(suites.length).toBeGreaterThanOrEqual(5);
  });

  it.each(suites)('%s: loads, runs every test and every assertion (no key dropped, no code failing)', async (suite) => {
    const dir = path.join(SUITES, suite);
    expect((await runCli(['prompt', 'push', path.join(dir, 'prompt.yaml')], env)).code).toBe(0);
    const result = await runCli(
      ['eval', 'run', `pf-${suite}@1.0.0`, '--dataset', path.join(dir, 'promptfooconfig.yaml'), '--json'],
      env,
    );
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const json = JSON.parse(result.stdout) as EvalJson;
    expect(json.summary.cases).toBeGreaterThan(0);
    expect(json.summary.errors).toBe(0);
    // Assertions may fail against the simulator's answers, but never because the suite was misread.
    const reasons = json.summary.failures.flatMap((failure) => failure.reasons);
    expect(reasons.filter((reason) => /transform failed|javascript failed|not valid JavaScript/.test(reason))).toEqual(
      [],
    );
  });
});
