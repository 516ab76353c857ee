import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server';
import { runCli } from '../harness/cli';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { DATASET_PATH, LABELS_PATH, fastSimulator, pushSupportAnswer } from '../fixtures/evals';

describe('flightdeck eval', () => {
  let db: TestDatabase;
  let sim: RunningSimulator;
  let env: Record<string, string>;
  let dir: string;
  const cli = (...args: string[]) => runCli(args, env);
  const stored = async () =>
    (
      await db.pool.query(
        'SELECT (SELECT count(*) FROM eval_runs)::int AS runs, (SELECT count(*) FROM eval_datasets)::int AS datasets',
      )
    ).rows[0];
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    sim = await startSimulator({});
    await fastSimulator(sim);
    env = { DATABASE_URL: db.url, FLIGHTDECK_SIMULATOR_PORT: String(sim.port), FLIGHTDECK_ACTOR: 'ci' };
    dir = mkdtempSync(path.join(tmpdir(), 'fd-eval-'));
    await pushSupportAnswer(db.pool);
  });
  afterAll(async () => {
    await sim.close();
    await db.drop();
  });

  describe('bad input: a message naming what is wrong, exit 2, nothing stored', () => {
    it.each([
      [['eval', 'run', 'nope@1.0.0', '--dataset', DATASET_PATH], /Unknown prompt "nope"/],
      [['eval', 'run', 'support-answer@9.9.9', '--dataset', DATASET_PATH], /has no version "9\.9\.9"/],
      [
        ['eval', 'run', 'support-answer@1.1.0', '--dataset', 'missing.yaml'],
        /Cannot read dataset missing\.yaml: ENOENT/,
      ],
      [
        ['eval', 'run', 'support-answer@1.1.0', '--dataset', DATASET_PATH, '--judge', 'gpt-5-imaginary'],
        /Unknown judge model "gpt-5-imaginary"/,
      ],
      [
        ['eval', 'run', 'support-answer@1.1.0', '--dataset', DATASET_PATH, '--concurrency', '0'],
        /--concurrency must be a whole number of at least 1/,
      ],
      [
        ['eval', 'run', 'support-answer@1.1.0', '--dataset', DATASET_PATH, '--gate'],
        /has not been calibrated against human labels.*eval calibrate/,
      ],
    ])('%j', async (args, message) => {
      const before = await stored();
      const result = await cli(...args);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(await stored()).toEqual(before);
    });

    it.each([
      ['a dataset that does not parse', 'bad.yaml', 'cases: [oops', /bad\.yaml is not valid YAML/],
      [
        'an unknown assertion type',
        'unknown.yaml',
        'cases:\n  - id: c1\n    vars: { question: q, context: c }\n    assert: [{ type: python, value: "True" }]',
        /case "c1" \(cases\[0\]\) assert\[0\]\.type: unknown assertion type "python"/,
      ],
      [
        'a case lacking a required variable',
        'missing-var.yaml',
        'cases:\n  - id: c1\n    vars: { context: c }\n    assert: [{ type: is-json }]',
        /case "c1" vars do not fit support-answer@1\.1\.0: "question" is required/,
      ],
    ])('%s', async (_name, file, text, message) => {
      const before = await stored();
      const result = await cli('eval', 'run', 'support-answer@1.1.0', '--dataset', write(file, text));
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(await stored()).toEqual(before);
    });

    it('calibration with fewer than 50 labels', async () => {
      const few = readFileSync(LABELS_PATH, 'utf8').split('\n').slice(0, 10).join('\n');
      const result = await cli('eval', 'calibrate', '--labels', write('few.jsonl', few));
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/has 10 labelled examples; calibration needs at least 50/);
    });
  });

  it('calibrates the judge (kappa and Spearman) so it may gate', async () => {
    const result = await cli('eval', 'calibrate', '--labels', LABELS_PATH, '--json');
    expect(result.code).toBe(0);
    const calibration = JSON.parse(result.stdout);
    expect(calibration.examples).toBe(66);
    expect(calibration.kappa).toBeGreaterThan(0.6);
    expect(calibration.spearman).toBeGreaterThan(0.6);
    expect(calibration.fitToGate).toBe(true);
  });

  it('passes the gate for a good version, with a markdown report and call counts', async () => {
    const report = path.join(dir, 'report.md');
    const result = await cli(
      'eval',
      'run',
      'support-answer@1.1.0',
      '--dataset',
      DATASET_PATH,
      '--baseline',
      'production',
      '--gate',
      '--report',
      report,
      '--json',
    );
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.gate.passed).toBe(true);
    expect(json.candidateCalls).toBe(24); // 12 baseline + 12 candidate
    expect(json.judgeCalls + json.judgeCacheHits).toBe(24);
    expect(json.run.gitCommit).toMatch(/^[0-9a-f]{40}$/);
    expect(existsSync(report)).toBe(true);
    expect(readFileSync(report, 'utf8')).toMatch(/## Eval: support-answer@1\.1\.0 vs 1\.0\.0: ✅ gate passed/);
  });

  it('exits 3 when the gate fails, and says why in the report', async () => {
    const result = await cli(
      'eval',
      'run',
      'support-answer@1.2.0',
      '--dataset',
      DATASET_PATH,
      '--baseline',
      '1.1.0',
      '--gate',
    );
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/❌ gate failed/);
    expect(result.stdout).toMatch(/### Failing cases/);
    expect(result.stderr).toMatch(/The eval gate failed for support-answer@1\.2\.0/);
  });

  it("runs a promptfoo suite's transforms, javascript, factuality and closedqa assertions as promptfoo would", async () => {
    const suite = write(
      'promptfooconfig.yaml',
      `defaultTest:
  options:
    transform: output.toLowerCase()
tests:
  - vars:
      question: How long do I have to return an item?
      context: Items can be returned within 30 days of delivery.
    assert:
      - type: javascript
        value: output === output.toLowerCase() && output.includes('30 days')
      # The transform's answer, not the raw output, is what contains-any sees.
      - type: contains-any
        transform: "output.includes('30') ? 'yes' : 'no'"
        value: ['yes']
      - type: not-contains-any
        transform: "output.includes('30') ? 'yes' : 'no'"
        value: ['no']
      # promptfoo's yes/no graders, on the judge
      - type: factuality
        value: You can send an item back within 30 days of delivery.
      - type: not-factuality
        value: You can send an item back within 90 days of delivery.
      - type: model-graded-closedqa
        value: says how long the return window is
      - type: javascript
        value: |
          const words = output.split(/\\s+/).length;
          return { pass: words < 200, score: Math.min(1, words / 10), reason: words + ' words' };
`,
    );
    const result = await cli('eval', 'run', 'support-answer@1.1.0', '--dataset', suite, '--json');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as { summary: { metrics: Record<string, { mean: number }> } };
    expect(json.summary.metrics.pass_rate!.mean).toBe(1);
    // Yes/no graders score 1 or 0, never a judge's fraction.
    expect(json.summary.metrics).toMatchObject({
      factuality: { mean: 1 },
      'not-factuality': { mean: 1 },
      closedqa: { mean: 1 },
    });
  });
});
