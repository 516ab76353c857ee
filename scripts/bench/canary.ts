/**
 * Canary decision quality and speed, in one run:
 *  - by simulation, many canaries through the real judge and step policy: the false abort rate with
 *    no real difference, and for each regression (error rate +3 points, p99 latency +50%, judge
 *    score −10%) the share caught, with the traffic and time it took;
 *  - on the live stack at 200 requests/s with a 5% canary: injected regression → 100% on stable,
 *    and `rollback` signal → the last of two gateways serving stable, sent during a hold and during
 *    an analysis whose judge takes 1.5 s a call.
 *   npm run bench:canary [-- --canaries 200 --regression-canaries 100 --rate 200 --trials 5 --skip-live]
 * Uses DATABASE_URL (a scratch database, dropped afterwards) or the embedded Postgres.
 * Prints tables and writes bench-results/canary.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { table } from '../../src/cli/output';
import { loadEnv } from '../../src/config/env';
import { migrate } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { scratchDatabaseFor } from '../../src/db/scratchDatabase';
import { measureLive, type LiveResult } from './canaryLive';
import {
  HEALTHY,
  simulateCanary,
  type CanaryOutcome,
  type SimulationSettings,
  type TrafficShape,
} from './canarySimulation';
import { numberFlag } from './flags';

const CANARIES = numberFlag('canaries', 200);
const REGRESSION_CANARIES = numberFlag('regression-canaries', 100);
const RATE = numberFlag('rate', 200);
const TRIALS = numberFlag('trials', 5);
const REPO = path.join(__dirname, '..', '..');
const log = (line: string) => console.log(line);

// DESIGN §5's default ramp with 10-minute holds, analysed every minute, 10 judged answers per side per interval.
const SETTINGS: SimulationSettings = {
  requestsPerSecond: RATE,
  steps: [100, 500, 2500, 5000, 10_000].map((weightBp) => ({ weightBp, holdMinutes: weightBp < 10_000 ? 10 : 0 })),
  intervalMinutes: 1,
  judgeSamplesPerInterval: 10,
};

const SCENARIOS: Array<[string, TrafficShape, number]> = [
  ['no real difference', HEALTHY, CANARIES],
  ['error rate +3 points', { ...HEALTHY, errorRate: HEALTHY.errorRate + 0.03 }, REGRESSION_CANARIES],
  ['p99 latency +50%', { ...HEALTHY, tailFactor: 1.5 }, REGRESSION_CANARIES],
  ['judge score −10%', { ...HEALTHY, judgeMean: HEALTHY.judgeMean * 0.9 }, REGRESSION_CANARIES],
];

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)]! : NaN;
};
const pct = (part: number, whole: number) => `${((part / whole) * 100).toFixed(1)}%`;
const ms = (values: number[]) => ({
  n: values.length,
  medianMs: Math.round(median(values)),
  maxMs: Math.round(Math.max(...values)),
});

async function main(): Promise<void> {
  log(`Simulating canaries at ${RATE} req/s: steps 1/5/25/50% with 10-minute holds, analysis every minute…`);
  const simulated = SCENARIOS.map(([name, shape, count]) => {
    const outcomes: CanaryOutcome[] = Array.from({ length: count }, (_, i) =>
      simulateCanary(shape, SETTINGS, 7919 * (i + 1)),
    );
    log(`  ${name}: ${count} canaries`);
    return { name, count, outcomes };
  });

  let live: LiveResult | undefined;
  if (!process.argv.includes('--skip-live')) {
    const env = loadEnv();
    const scratch = await scratchDatabaseFor(env, 'fd_bench');
    const pool = createPool(scratch.url, 4);
    try {
      await migrate(pool);
      live = await measureLive(pool, scratch.url, { perSecond: RATE, trials: TRIALS, log });
    } finally {
      await pool.end();
      await scratch.drop();
    }
  }

  console.log(`\nSimulated canaries (the real judge and policy; ${RATE} req/s; default rules and limits)\n`);
  console.log(
    table(
      [
        'SCENARIO',
        'CANARIES',
        'ABORTED',
        'PAUSED',
        'COMPLETED',
        'MEDIAN MIN TO ABORT',
        'MEDIAN CANARY REQS TO ABORT',
        'FAILING METRICS',
      ],
      simulated.map(({ name, count, outcomes }) => {
        const aborted = outcomes.filter((o) => o.outcome === 'aborted');
        const metrics = [...new Set(aborted.flatMap((o) => o.failedMetrics))].join(', ') || '-';
        return [
          name,
          count,
          pct(aborted.length, count),
          pct(outcomes.filter((o) => o.outcome === 'paused').length, count),
          pct(outcomes.filter((o) => o.outcome === 'completed').length, count),
          aborted.length ? median(aborted.map((o) => o.minutes)) : '-',
          aborted.length ? median(aborted.map((o) => o.candidateRequests)) : '-',
          metrics,
        ];
      }),
    ),
  );
  if (live) {
    console.log(`\nLive stack, ${RATE} req/s over two gateways, 5% canary (${TRIALS} trials each)\n`);
    const rows = [
      ['injected regression → 100% on stable (goal ≤ 30 s)', ms(live.regressionToStableMs)],
      ['rollback signal in a hold → last gateway on stable (goal ≤ 1 s)', ms(live.signalToStableMs)],
      [
        'rollback signal during a slow-judge analysis → last gateway on stable (goal ≤ 1 s)',
        ms(live.signalDuringSlowAnalysisMs),
      ],
    ] as const;
    console.log(
      table(
        ['FROM → TO', 'TRIALS', 'MEDIAN MS', 'MAX MS'],
        rows.map(([name, r]) => [name, r.n, r.medianMs, r.maxMs]),
      ),
    );
  }

  const out = path.join(REPO, 'bench-results', 'canary.json');
  mkdirSync(path.dirname(out), { recursive: true });
  const summary = simulated.map(({ name, count, outcomes }) => ({
    scenario: name,
    canaries: count,
    abortRate: outcomes.filter((o) => o.outcome === 'aborted').length / count,
    pauseRate: outcomes.filter((o) => o.outcome === 'paused').length / count,
    medianMinutesToAbort: median(outcomes.filter((o) => o.outcome === 'aborted').map((o) => o.minutes)),
    medianCanaryRequestsToAbort: median(
      outcomes.filter((o) => o.outcome === 'aborted').map((o) => o.candidateRequests),
    ),
  }));
  writeFileSync(out, `${JSON.stringify({ settings: SETTINGS, simulated: summary, live }, null, 2)}\n`);
  console.log(`\nWrote ${path.relative(REPO, out)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
