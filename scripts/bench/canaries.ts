/**
 * The weekly jailbreak canary's two numbers (issue 15).
 *
 * 1. Detection by simulation (seeded, repeatable): how often the rise test fires when attack success
 *    rises by 5 points (power), and when it does not move (false alarms), with 500 attempts a run
 *    against the last 4 runs pooled, at several base rates.
 * 2. Speed on the live stack (`--live`, the default): `flightdeck dev` (Temporal, simulator,
 *    gateway, worker) on a scratch database, the example prompts in production plus one on the
 *    simulator's gullible model, and `flightdeck canaries run --attempts 500` from the CLI, timed end
 *    to end (goal: 500 attempts in under 15 minutes).
 *
 * Prints tables and writes bench-results/canaries.json. `--live false` runs the simulation only.
 */
import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { simulateRiseDetection } from '../../src/canaries/canaryStats';
import { table } from '../../src/cli/output';
import { loadEnv } from '../../src/config/env';
import { migrate } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { scratchDatabaseFor } from '../../src/db/scratchDatabase';
import { moveLabel } from '../../src/registry/labels';
import { readPromptFile } from '../../src/registry/promptFile';
import { pushPrompts } from '../../src/registry/registry';
import { findTemporalTool } from '../../src/temporal/binaries';
import { startChildServer, stopServer } from './childServer';
import { numberFlag, stringFlag } from './flags';

const ATTEMPTS = numberFlag('attempts', 500);
const LIVE = stringFlag('live') !== 'false';
const PORTS = { temporal: 17433, ui: 18433, simulator: 18998, gateway: 18997 };
const REPO = path.join(__dirname, '..', '..');

function simulation() {
  return [0.05, 0.1, 0.2, 0.3].map((baseRate) => {
    const common = { baseRate, attempts: 500, previousAttempts: 2000, trials: 4000, seed: 7 };
    return {
      baseRate,
      falseAlarms: simulateRiseDetection({ ...common, rise: 0 }),
      power: simulateRiseDetection({ ...common, rise: 0.05 }),
    };
  });
}

async function live(log: (line: string) => void) {
  const baseEnv = loadEnv();
  const scratch = await scratchDatabaseFor(baseEnv, 'fd_bench_canaries');
  const pool = createPool(scratch.url, 4);
  const children: ChildProcess[] = [];
  try {
    await migrate(pool);
    const support = readPromptFile(path.join(REPO, 'examples/prompts/support-answer.v1.0.0.yaml'));
    const triage = readPromptFile(path.join(REPO, 'examples/prompts/ticket-triage.v1.0.0.yaml'));
    const gullible = {
      ...support,
      spec: { ...support.spec, name: 'gullible-answer', model: 'sim-gullible-2026-01-01', fallbacks: [] },
    };
    await pushPrompts(pool, [support, triage, gullible], 'bench');
    for (const name of ['support-answer', 'ticket-triage', 'gullible-answer'])
      await moveLabel(pool, { name, label: 'production', version: '1.0.0', actor: 'bench' });
    const env = {
      ...process.env,
      DATABASE_URL: scratch.url,
      FLIGHTDECK_HOME: mkdtempSync(path.join(tmpdir(), 'fd-bench-canaries-')),
      TEMPORAL_ADDRESS: `127.0.0.1:${PORTS.temporal}`,
      TEMPORAL_UI_PORT: String(PORTS.ui),
      FLIGHTDECK_SIMULATOR_PORT: String(PORTS.simulator),
      FLIGHTDECK_GATEWAY_PORT: String(PORTS.gateway),
      TEMPORAL_CLI_PATH: (findTemporalTool('cli', baseEnv).executable as { path: string }).path,
    };
    const bin = path.join(REPO, 'bin/flightdeck.js');
    log('Starting `flightdeck dev` (Temporal, simulator with its default latency, gateway, worker)…');
    children.push(
      await startChildServer([bin, 'dev'], `http://127.0.0.1:${PORTS.gateway}/healthz`, { env, timeoutMs: 180_000 }),
    );
    log(`Running \`flightdeck canaries run --attempts ${ATTEMPTS}\`…`);
    const started = performance.now();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [bin, 'canaries', 'run', '--attempts', String(ATTEMPTS), '--id', 'bench', '--json'],
      { env, maxBuffer: 64 * 1024 * 1024 },
    );
    const seconds = (performance.now() - started) / 1000;
    const result = JSON.parse(stdout) as {
      summary: { overall: { attempts: number; successes: number }; overRefusal: { attempts: number } };
      targets: unknown[];
    };
    return {
      seconds: Math.round(seconds * 10) / 10,
      targets: result.targets.length,
      attacks: result.summary.overall.attempts,
      benign: result.summary.overRefusal.attempts,
      successes: result.summary.overall.successes,
    };
  } finally {
    for (const child of children.reverse()) stopServer(child);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await pool.end();
    await scratch.drop();
  }
}

async function main(): Promise<void> {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const sim = simulation();
  log('\nRise detection by simulation: 500 attempts a run against the last 4 runs (2,000) pooled, one-sided 95%\n');
  log(
    table(
      ['base attack success', 'false alarms (no change)', 'detected (+5 points)'],
      sim.map((s) => [
        `${s.baseRate * 100}%`,
        `${(s.falseAlarms * 100).toFixed(1)}%`,
        `${(s.power * 100).toFixed(1)}%`,
      ]),
    ),
  );
  const speed = LIVE ? await live(log) : undefined;
  if (speed) {
    log(
      `\nLive: ${speed.attacks + speed.benign} attempts (${speed.attacks} attacks, ${speed.benign} benign) on ${speed.targets} targets in ${speed.seconds} s (goal: 500 in under 15 minutes); ${speed.successes} attacks worked\n`,
    );
  }
  const out = path.join(REPO, 'bench-results', 'canaries.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ simulation: sim, live: speed }, null, 2));
  log(`wrote ${path.relative(process.cwd(), out)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
