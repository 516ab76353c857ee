/**
 * Eval runner throughput: a 500-case dataset with two assertions per case (icontains and a judged
 * rubric), the simulator at ~100 ms per call, concurrency 32. Reports the cold run's wall time
 * against the ideal (calls × latency ÷ concurrency) and a warm re-run, which must make no judge calls.
 *   npm run bench:eval [-- --cases 500 --concurrency 32 --latency 100]
 * Uses DATABASE_URL (a scratch database is created and dropped) or the embedded Postgres.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadEnv } from '../../src/config/env';
import { scratchDatabaseFor } from '../../src/db/scratchDatabase';
import { migrate } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { parseDataset } from '../../src/evals/dataset';
import { DEFAULT_JUDGE_MODEL } from '../../src/model/evalDefaults';
import { concludeRun, executeCases, prepareRun } from '../../src/evals/runner';
import { defaultProviderConfig } from '../../src/providers/config';
import { ProviderDirectory } from '../../src/providers/directory';
import { readPromptFile } from '../../src/registry/promptFile';
import { pushPrompts, resolvePrompt } from '../../src/registry/registry';
import { table } from '../../src/cli/output';
import { startChildServer } from './childServer';
import { numberFlag } from './flags';

const CASES = numberFlag('cases', 500);
const CONCURRENCY = numberFlag('concurrency', 32);
const LATENCY_MS = numberFlag('latency', 100);
const SIM_PORT = 18790;
const REPO = path.join(__dirname, '..', '..');

const CONTEXTS = [
  [
    'How long do I have to return an item?',
    'Items can be returned within 30 days of delivery. Shipping is free on orders over $50.',
    '30 days',
  ],
  ['Where is your head office?', 'Our head office is in Berlin. Support is available Monday to Friday.', 'Berlin'],
  [
    'How long is the laptop warranty?',
    'All laptops come with a two-year warranty. Accidental damage is not covered.',
    'two-year',
  ],
];

function datasetYaml(): string {
  const cases = Array.from({ length: CASES }, (_, i) => {
    const [question, context, expected] = CONTEXTS[i % CONTEXTS.length]!;
    return `  - id: case-${i}\n    vars: { question: ${JSON.stringify(`${question} (#${i})`)}, context: ${JSON.stringify(context)} }\n    assert:\n      - { type: icontains, value: ${JSON.stringify(expected)} }\n      - { type: rubric, value: Answers the question from the context }`;
  });
  return `name: bench-${CASES}\ncases:\n${cases.join('\n')}\n`;
}

async function main(): Promise<void> {
  const env = loadEnv();
  const scratch = await scratchDatabaseFor(env, 'fd_bench');
  const pool = createPool(scratch.url, 40);
  const simulator = await startChildServer(
    [path.join(REPO, 'bin/flightdeck.js'), 'simulator', '--port', String(SIM_PORT)],
    `http://127.0.0.1:${SIM_PORT}/healthz`,
  );
  try {
    await fetch(`http://127.0.0.1:${SIM_PORT}/admin/profiles/default`, {
      method: 'PUT',
      body: JSON.stringify({ ttftMs: LATENCY_MS, ttftSpreadMs: 0, perTokenMs: 0, perTokenSpreadMs: 0 }),
    });
    await migrate(pool);
    await pushPrompts(
      pool,
      [readPromptFile(path.join(REPO, 'examples', 'prompts', 'support-answer.v1.0.0.yaml'))],
      'bench',
    );
    const prompt = await resolvePrompt(pool, 'support-answer', '1.0.0');
    const dataset = parseDataset(datasetYaml(), 'bench.yaml');
    const simEnv = { ...env, FLIGHTDECK_SIMULATOR_PORT: SIM_PORT };
    const services = {
      pool,
      providers: new ProviderDirectory(defaultProviderConfig(simEnv), simEnv),
      judgeModel: DEFAULT_JUDGE_MODEL,
    };

    const timed = async () => {
      const run = await prepareRun(services, prompt, dataset, { repeat: 1 });
      const start = performance.now();
      const counters = await executeCases(services, run, prompt, dataset, { concurrency: CONCURRENCY });
      const seconds = (performance.now() - start) / 1000;
      const outcome = await concludeRun(pool, run, dataset, undefined);
      return { seconds, counters, passRate: outcome.summary.metrics.pass_rate!.mean };
    };
    const cold = await timed();
    const warm = await timed();
    const calls = cold.counters.candidateCalls + cold.counters.judgeCalls;
    const ideal = (calls * LATENCY_MS) / 1000 / CONCURRENCY;
    const warmIdeal = (warm.counters.candidateCalls * LATENCY_MS) / 1000 / CONCURRENCY;
    console.log(
      `\n${CASES} cases × 2 assertions (one judged), ${LATENCY_MS} ms per simulated call, concurrency ${CONCURRENCY}\n`,
    );
    console.log(
      table(
        ['RUN', 'WALL S', 'IDEAL S', 'VS IDEAL', 'CANDIDATE CALLS', 'JUDGE CALLS', 'JUDGE CACHE HITS', 'PASS RATE'],
        [
          [
            'cold',
            cold.seconds.toFixed(2),
            ideal.toFixed(2),
            (cold.seconds / ideal).toFixed(2),
            cold.counters.candidateCalls,
            cold.counters.judgeCalls,
            cold.counters.judgeCacheHits,
            cold.passRate.toFixed(3),
          ],
          [
            'warm',
            warm.seconds.toFixed(2),
            warmIdeal.toFixed(2),
            (warm.seconds / warmIdeal).toFixed(2),
            warm.counters.candidateCalls,
            warm.counters.judgeCalls,
            warm.counters.judgeCacheHits,
            warm.passRate.toFixed(3),
          ],
        ],
      ),
    );
    const out = path.join(REPO, 'bench-results', 'eval.json');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(
      out,
      JSON.stringify(
        { cases: CASES, concurrency: CONCURRENCY, latencyMs: LATENCY_MS, idealSeconds: ideal, cold, warm },
        null,
        2,
      ),
    );
    console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
  } finally {
    simulator.kill();
    await pool.end();
    await scratch.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
