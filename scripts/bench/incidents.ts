/**
 * Incident playbooks on the live stack (issue 14):
 *   npm run bench:incidents [-- --rate 20] [-- --trials outage,runaway,quality]
 * `flightdeck dev` (Temporal, simulator, gateway, worker with its outage watch) and a second gateway,
 * each in its own process, with `--rate` requests/s of app traffic to one model on each gateway (no
 * fallbacks: only the playbook's override can serve it). Injected provider outages, the model
 * answering 5xx to everything, then hanging: from the first failed request to every gateway serving
 * the backup, and the slowest request sent after a gateway's first answer from the backup (none
 * should wait out the primary's attempt timeout). Between trials on-call resolves the incident.
 * Then a runaway tenant (scripts/bench/runawayTrial.ts): from its loop's start to the throttle, with
 * the monitor pass on its every-minute schedule. Then a quality regression released at 100% with
 * --skip-eval (scripts/bench/qualityTrial.ts): from the release to the playbook's rollback.
 * Uses DATABASE_URL (a scratch database, dropped afterwards) or the embedded Postgres.
 * Prints a table and writes bench-results/incidents.json.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { table } from '../../src/cli/output';
import { loadEnv } from '../../src/config/env';
import { createPool } from '../../src/db/pool';
import { migrate } from '../../src/db/migrate';
import { scratchDatabaseFor } from '../../src/db/scratchDatabase';
import { incidentWorkflowId } from '../../src/model/incident';
import { findTemporalTool } from '../../src/temporal/binaries';
import { installSchedules, SCHEDULES } from '../../src/temporal/schedules';
import { createTenant } from '../../src/tenants/tenantStore';
import { resolveIncidentSignal } from '../../workflows/incidentMessages';
import { startChildServer, stopServer } from './childServer';
import { numberFlag, stringFlag } from './flags';
import { runawayTrial, seedRunawayTenant, type RunawayTrial } from './runawayTrial';
import { QUALITY_PLAYBOOK, QUALITY_RULE, qualityTrial, seedQualityBaseline, type QualityTrial } from './qualityTrial';

const RATE = numberFlag('rate', 20);
const TRIALS = (stringFlag('trials') ?? 'outage,runaway,quality').split(',');
const PORTS = { temporal: 17333, ui: 18333, simulator: 18898, gateway: 18897, gateway2: 18896 };
const REPO = path.join(__dirname, '..', '..');
const PRIMARY = 'gpt-4o-mini-2024-07-18';
const BACKUP = 'claude-haiku-4-5-20251001';
const ATTEMPT_TIMEOUT_MS = 15_000; // the gateway's default attempt timeout

interface Served {
  gateway: number;
  sentAt: number;
  ms: number;
  model: string | 'failed';
}

/** `perSecond` calls a second to each gateway, every answer recorded. */
function paceTraffic(urls: string[], key: string, perSecond: number) {
  const served: Served[] = [];
  const inFlight = new Set<Promise<unknown>>();
  const timer = setInterval(() => {
    urls.forEach((url, gateway) => {
      const sentAt = performance.now();
      const call = fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: PRIMARY, messages: [{ role: 'user', content: 'Where is my parcel?' }] }),
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      })
        .then(async (res) => {
          const body = (await res.json()) as { model?: string };
          return res.ok && body.model ? body.model : 'failed';
        })
        .catch(() => 'failed')
        .then((model) => served.push({ gateway, sentAt, ms: performance.now() - sentAt, model }));
      inFlight.add(call);
      void call.finally(() => inFlight.delete(call));
    });
  }, 1000 / perSecond);
  return {
    served,
    stop: async () => {
      clearInterval(timer);
      await Promise.all(inFlight);
    },
  };
}

interface Trial {
  fault: 'server' | 'hang';
  /** From the first request that failed to the last gateway's first answer from the backup. */
  firstFailureToBackupMs: number;
  perGatewayMs: number[];
  /** Requests sent after a gateway's first backup answer: the slowest, and how many failed. */
  slowestAfterOverrideMs: number;
  failedAfterOverride: number;
  failedRequests: number;
}

async function trial(
  fault: Trial['fault'],
  urls: string[],
  key: string,
  client: Client,
  log: (line: string) => void,
): Promise<Trial> {
  const sim = `http://127.0.0.1:${PORTS.simulator}/admin/faults`;
  const traffic = paceTraffic(urls, key, RATE);
  await new Promise((resolve) => setTimeout(resolve, 3000)); // healthy traffic first
  const injectedAt = performance.now();
  await fetch(sim, { method: 'POST', body: JSON.stringify({ model: PRIMARY, kind: fault, count: 1_000_000 }) });
  log(`  ${fault}: injected; waiting for every gateway to serve ${BACKUP}…`);
  const firstBackup = urls.map(() => Infinity);
  const deadline = performance.now() + 120_000;
  while (firstBackup.some((t) => t === Infinity) && performance.now() < deadline) {
    for (const s of traffic.served)
      if (s.model === BACKUP && s.sentAt > injectedAt)
        firstBackup[s.gateway] = Math.min(firstBackup[s.gateway]!, s.sentAt);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await new Promise((resolve) => setTimeout(resolve, 5000)); // traffic on the backup for a while
  await traffic.stop();
  if (firstBackup.some((t) => t === Infinity)) throw new Error(`${fault}: a gateway never served the backup`);
  const failures = traffic.served.filter((s) => s.model === 'failed' && s.sentAt > injectedAt);
  // A request fails when its answer comes: the first failure is the earliest answer that failed.
  const firstFailure = Math.min(...failures.map((s) => s.sentAt + s.ms));
  const after = traffic.served.filter((s) => s.sentAt > firstBackup[s.gateway]!);
  await fetch(sim, { method: 'DELETE' });
  const incident = client.workflow.getHandle(incidentWorkflowId('provider-outage', PRIMARY));
  await incident.signal(resolveIncidentSignal, { actor: 'bench', reason: 'trial over' });
  await incident.result();
  // The gateways' circuits to the model close after their cool-down (10 s) and a good probe.
  await new Promise((resolve) => setTimeout(resolve, 12_000));
  return {
    fault,
    firstFailureToBackupMs: Math.round(Math.max(...firstBackup) - firstFailure),
    perGatewayMs: firstBackup.map((t) => Math.round(t - firstFailure)),
    slowestAfterOverrideMs: Math.round(Math.max(...after.map((s) => s.ms))),
    failedAfterOverride: after.filter((s) => s.model === 'failed').length,
    failedRequests: failures.length,
  };
}

async function main(): Promise<void> {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const baseEnv = loadEnv();
  const scratch = await scratchDatabaseFor(baseEnv, 'fd_bench_incidents');
  const pool = createPool(scratch.url, 4);
  const children: ChildProcess[] = [];
  try {
    await migrate(pool);
    const home = mkdtempSync(path.join(tmpdir(), 'fd-bench-incidents-'));
    const monitors = path.join(home, 'monitors.yaml');
    writeFileSync(
      monitors,
      [
        'rules:',
        '  - { id: model-availability, metric: server_error_rate, by: [model], window_minutes: 60, min_volume: 50, detector: { kind: burn_rate, objective: 0.99 }, playbook: provider-outage }',
        '  - { id: tenant-cost-spike, metric: cost_usd, by: [tenant], window_minutes: 30, detector: { kind: spike }, playbook: cost-runaway }',
        QUALITY_RULE,
        'playbooks:',
        `  provider_outage: { backups: { ${PRIMARY}: ${BACKUP} }, probe_every_seconds: 3600 }`,
        QUALITY_PLAYBOOK,
      ].join('\n'),
    );
    const env = {
      ...process.env,
      DATABASE_URL: scratch.url,
      FLIGHTDECK_HOME: home,
      FLIGHTDECK_MONITORS_FILE: monitors,
      TEMPORAL_ADDRESS: `127.0.0.1:${PORTS.temporal}`,
      TEMPORAL_UI_PORT: String(PORTS.ui),
      FLIGHTDECK_SIMULATOR_PORT: String(PORTS.simulator),
      FLIGHTDECK_GATEWAY_PORT: String(PORTS.gateway),
      TEMPORAL_CLI_PATH: (findTemporalTool('cli', baseEnv).executable as { path: string }).path,
    };
    const runawayTenant = TRIALS.includes('runaway') ? await seedRunawayTenant(pool) : undefined;
    const qualityTenant = TRIALS.includes('quality') ? await seedQualityBaseline(pool, baseEnv) : undefined;
    const bin = path.join(REPO, 'bin/flightdeck.js');
    const urls = [`http://127.0.0.1:${PORTS.gateway}`, `http://127.0.0.1:${PORTS.gateway2}`];
    log('Starting `flightdeck dev` (Temporal, simulator, gateway, worker) and a second gateway…');
    children.push(await startChildServer([bin, 'dev'], `${urls[0]}/healthz`, { env, timeoutMs: 180_000 }));
    children.push(
      await startChildServer([bin, 'gateway', '--workers', '1'], `${urls[1]}/healthz`, {
        env: { ...env, FLIGHTDECK_GATEWAY_PORT: String(PORTS.gateway2) },
      }),
    );
    const quick = { ttftMs: 20, ttftSpreadMs: 5, perTokenMs: 1, perTokenSpreadMs: 0 };
    await fetch(`http://127.0.0.1:${PORTS.simulator}/admin/profiles/default`, {
      method: 'PUT',
      body: JSON.stringify(quick),
    });
    const { apiKey } = await createTenant(pool, {
      id: 'bench-app',
      tier: 'free',
      experimentsOptIn: false,
      actor: 'bench',
    });
    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
    const client = new Client({ connection });
    const trials: Trial[] = [];
    let runaway: RunawayTrial | undefined;
    let quality: QualityTrial | undefined;
    try {
      if (TRIALS.includes('outage'))
        for (const fault of ['server', 'hang'] as const) trials.push(await trial(fault, urls, apiKey, client, log));
      // The monitor pass and the answer sampler on their schedules, as `flightdeck schedules install` sets them up.
      if (TRIALS.includes('runaway') || TRIALS.includes('quality'))
        await installSchedules(
          client,
          SCHEDULES.filter((s) => ['flightdeck-monitors', 'flightdeck-answer-sampling'].includes(s.scheduleId)),
        );
      if (TRIALS.includes('runaway')) runaway = await runawayTrial(pool, urls[0]!, runawayTenant!, log);
      if (TRIALS.includes('quality')) quality = await qualityTrial(pool, urls[0]!, { bin, env }, qualityTenant!, log);
    } finally {
      await connection.close();
    }
    if (trials.length)
      log(
        `\nProvider outage, ${RATE} requests/s to each of 2 gateways (goal: every gateway on the backup within 30 s of the first failed request; attempt timeout ${ATTEMPT_TIMEOUT_MS} ms)\n`,
      );
    if (trials.length)
      log(
        table(
          [
            'fault',
            'first failure -> all on backup (ms)',
            'per gateway (ms)',
            'slowest after (ms)',
            'failed after',
            'failed in all',
          ],
          trials.map((t) => [
            t.fault,
            t.firstFailureToBackupMs,
            t.perGatewayMs.join(' / '),
            t.slowestAfterOverrideMs,
            t.failedAfterOverride,
            t.failedRequests,
          ]),
        ),
      );
    if (runaway) {
      log(`\nRunaway tenant at 20x its usual spend (goal: throttled within 5 minutes)\n`);
      log(
        table(
          ['usual $/h', 'loop $/h', 'loop start -> throttled (s)', 'spent before throttle ($)', 'kept (req/min)'],
          [
            [
              runaway.usualUsdPerHour.toFixed(2),
              runaway.runawayUsdPerHour.toFixed(2),
              runaway.startToThrottleSeconds,
              runaway.spentBeforeThrottleUsd.toFixed(2),
              runaway.throttleRpm ?? 'none',
            ],
          ],
        ),
      );
      log(
        `  timeline (s after the loop started): ${runaway.timeline.map((s) => `${s.step} ${s.atSeconds}`).join(', ')}`,
      );
    }
    if (quality) {
      log(`\nA quality regression released at 100% with --skip-eval (goal: rolled back within 10 minutes)\n`);
      log(
        table(
          ['baseline judge', 'release -> alert (s)', 'release -> rolled back (s)', 'answers served by 1.2.0'],
          [
            [
              quality.baselineScore.toFixed(2),
              quality.releaseToAlertSeconds ?? 'none',
              quality.releaseToRollbackSeconds,
              quality.badAnswersServed,
            ],
          ],
        ),
      );
      log(`  timeline (s after the release): ${quality.timeline.map((s) => `${s.step} ${s.atSeconds}`).join(', ')}`);
    }
    const out = path.join(REPO, 'bench-results', 'incidents.json');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify({ rate: RATE, trials, runaway, quality }, null, 2));
    log(`\nwrote ${path.relative(process.cwd(), out)}`);
  } finally {
    for (const child of children.reverse()) stopServer(child);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await pool.end();
    await scratch.drop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
