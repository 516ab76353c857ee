/**
 * The canary on the live stack: `flightdeck dev` (Temporal, simulator, gateway, worker) and a second
 * gateway, each in its own process, 200 requests/s of app traffic. Measures (1) from an injected
 * regression at a 5% canary to every gateway serving stable, and (2) from a `rollback` signal to the
 * last gateway serving stable, sent during a hold and sent during an analysis whose judge takes
 * 1.5 s a call (the rollback must not wait for it).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadEnv } from '../../src/config/env';
import type { Pool } from '../../src/db/pool';
import { findTemporalTool } from '../../src/temporal/binaries';
import { DEFAULT_JUDGE_MODEL } from '../../src/model/evalDefaults';
import { parsePromptFile } from '../../src/registry/promptFile';
import { pushPrompts } from '../../src/registry/registry';
import { preparePromotion, startPromotion } from '../../src/control/startPromotion';
import { inCandidateBucket } from '../../src/routing/bucketing';
import { createTenant } from '../../src/tenants/tenantStore';
import { rollbackSignal, rolloutStatusQuery, rolloutWorkflowId } from '../../workflows/rolloutMessages';
import { startChildServer } from './childServer';

const PROMPT = 'canary-bench';
const PORTS = { temporal: 17233, ui: 18233, simulator: 18798, gateway: 18797, gateway2: 18796 };
const REPO = path.join(__dirname, '..', '..');

const version = (v: string, model: string) =>
  parsePromptFile(
    `name: ${PROMPT}\nversion: ${v}\nowner: bench\nmodel: ${model}\nvariables: { q: { type: string } }\ntemplate: { user: "{{q}}" }\n`,
    `${PROMPT}-${v}.yaml`,
  );

export interface LiveResult {
  requestsPerSecond: number;
  /** Injected regression → every gateway serves stable, per trial (ms). */
  regressionToStableMs: number[];
  /** `rollback` signal during a hold → the last gateway serves stable, per trial (ms). */
  signalToStableMs: number[];
  /** `rollback` signal while an analysis with a slow (1.5 s a call) judge is in flight → the last gateway serves stable (ms). */
  signalDuringSlowAnalysisMs: number[];
}

/** How long the judge model takes per call in the slow-analysis trials. */
const SLOW_JUDGE_MS = 1500;

/** App traffic at a steady rate, each request a different user. */
function paceTraffic(urls: string[], key: string, perSecond: number): () => Promise<number> {
  let sent = 0;
  const inFlight = new Set<Promise<unknown>>();
  const timer = setInterval(() => {
    for (let i = 0; i < perSecond / 100; i++) {
      const url = urls[sent % urls.length]!;
      const call = fetch(`${url}/v1/prompts/${PROMPT}/run`, {
        method: 'POST',
        body: JSON.stringify({ variables: { q: 'Is shipping free?' }, user: `app-${sent++}` }),
        headers: { authorization: `Bearer ${key}` },
      })
        .then((res) => res.arrayBuffer())
        .catch(() => undefined);
      inFlight.add(call);
      void call.finally(() => inFlight.delete(call));
    }
  }, 10);
  return async () => {
    clearInterval(timer);
    await Promise.all(inFlight);
    return sent;
  };
}

/**
 * A user the candidate's bucket holds at this weight: what it is served shows where routing stands.
 * Bucketing is salted with a secret of each rollout, so the operator's side (Postgres) is asked for it.
 */
async function candidateUser(pool: Pool, weightBp: number): Promise<string> {
  const { rows } = await pool.query<{ experiment_id: string }>(
    'SELECT experiment_id FROM routes WHERE prompt_name = $1',
    [PROMPT],
  );
  const experimentId = rows[0]!.experiment_id;
  for (let i = 0; ; i++) if (inCandidateBucket(experimentId, `probe-${i}`, weightBp)) return `probe-${i}`;
}

async function servedVersion(url: string, key: string, user: string): Promise<string | null> {
  const res = await fetch(`${url}/v1/prompts/${PROMPT}/run`, {
    method: 'POST',
    body: JSON.stringify({ variables: { q: 'probe' }, user }),
    headers: { authorization: `Bearer ${key}` },
  });
  await res.arrayBuffer();
  return res.status === 200 ? res.headers.get('x-flightdeck-prompt-version') : null;
}

/** Poll every gateway until each serves `stable` to the candidate's user; the time the last one did. */
async function allServe(
  urls: string[],
  key: string,
  user: string,
  stable: string,
  deadlineMs = 120_000,
): Promise<number> {
  const started = performance.now();
  await Promise.all(
    urls.map(async (url) => {
      while ((await servedVersion(url, key, user)) !== stable) {
        if (performance.now() - started > deadlineMs)
          throw new Error(`${url} still serves the candidate after ${deadlineMs} ms`);
      }
    }),
  );
  return performance.now();
}

export async function measureLive(
  pool: Pool,
  databaseUrl: string,
  options: { perSecond: number; trials: number; log: (line: string) => void },
): Promise<LiveResult> {
  const home = mkdtempSync(path.join(tmpdir(), 'fd-bench-canary-'));
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    FLIGHTDECK_HOME: home,
    TEMPORAL_ADDRESS: `127.0.0.1:${PORTS.temporal}`,
    TEMPORAL_UI_PORT: String(PORTS.ui),
    FLIGHTDECK_SIMULATOR_PORT: String(PORTS.simulator),
    FLIGHTDECK_GATEWAY_PORT: String(PORTS.gateway),
    // The project's Temporal CLI, so a fresh home does not install another.
    TEMPORAL_CLI_PATH: (findTemporalTool('cli', loadEnv()).executable as { path: string }).path,
  };
  const children: ChildProcess[] = [];
  const bin = path.join(REPO, 'bin/flightdeck.js');
  const urls = [`http://127.0.0.1:${PORTS.gateway}`, `http://127.0.0.1:${PORTS.gateway2}`];
  options.log('Live: starting `flightdeck dev` (Temporal, simulator, gateway, worker) and a second gateway…');
  children.push(await startChildServer([bin, 'dev'], `${urls[0]}/healthz`, { env, timeoutMs: 180_000 }));
  children.push(
    await startChildServer([bin, 'gateway', '--workers', '1'], `${urls[1]}/healthz`, {
      env: { ...env, FLIGHTDECK_GATEWAY_PORT: String(PORTS.gateway2) },
    }),
  );
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
  const client = new Client({ connection });
  try {
    const quick = { ttftMs: 20, ttftSpreadMs: 5, perTokenMs: 1, perTokenSpreadMs: 0 };
    const sim = `http://127.0.0.1:${PORTS.simulator}/admin/profiles`;
    await fetch(`${sim}/default`, { method: 'PUT', body: JSON.stringify(quick) });
    // The candidate runs on its own (cheaper) model, so a fault there hits the candidate only.
    await pushPrompts(
      pool,
      [version('1.0.0', 'gpt-4o-mini-2024-07-18'), version('1.1.0', 'gpt-4.1-nano-2025-04-14')],
      'bench',
    );
    const { apiKey } = await createTenant(pool, {
      id: `bench-${Date.now().toString(36)}`,
      tier: 'free',
      experimentsOptIn: false,
      actor: 'bench',
    });
    const stopTraffic = paceTraffic(urls, apiKey, options.perSecond);
    const result: LiveResult = {
      requestsPerSecond: options.perSecond,
      regressionToStableMs: [],
      signalToStableMs: [],
      signalDuringSlowAnalysisMs: [],
    };

    /**
     * A 5% canary, live and healthy (a passing analysis on record). Right after a trial the
     * gateways' circuit breaker for the candidate's model may still be open (10 s cool-down), and
     * the new canary then fails its error rate at once; that attempt is logged and started again.
     */
    const startCanary = async (judgeSamples = 0) => {
      for (;;) {
        await fetch(`${sim}/gpt-4.1-nano-2025-04-14`, { method: 'PUT', body: JSON.stringify(quick) });
        const input = await preparePromotion(pool, {
          ref: { name: PROMPT, ref: '1.1.0' },
          skipEval: true,
          reason: 'bench',
          steps: '5:1h,100',
          interval: '1s',
          judgeSamples,
          inconclusiveLimit: 1000,
          judgeModel: DEFAULT_JUDGE_MODEL,
          repeat: 1,
          concurrency: 1,
          actor: 'bench',
        });
        const since = Date.now() - 1000;
        const promotion = client.workflow.getHandle((await startPromotion(client, pool, input)).workflowId);
        const rollout = client.workflow.getHandle(rolloutWorkflowId(PROMPT));
        for (;;) {
          // Until the new rollout starts, the id still answers with the previous (finished) one.
          const status = await rollout
            .query(rolloutStatusQuery)
            .then((s) => (Date.parse(s.decisions[0]?.at ?? '') >= since ? s : undefined))
            .catch(() => undefined);
          if (status?.stage === 'canary' && status.analyses.some((a) => a.verdict === 'pass'))
            return { rollout, promotion, probe: await candidateUser(pool, 500) };
          if (status?.stage === 'aborted') {
            options.log(
              `  (a fresh canary aborted before the trial: ${status.decisions.at(-1)?.reason}; starting again in 5 s)`,
            );
            await promotion.result();
            await new Promise((resolve) => setTimeout(resolve, 5000));
            break;
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
    };

    for (let trial = 0; trial < options.trials; trial++) {
      const { promotion, probe } = await startCanary();
      const injected = performance.now();
      await fetch(`${sim}/gpt-4.1-nano-2025-04-14`, {
        method: 'PUT',
        body: JSON.stringify({ ...quick, errors: { server: 0.2 } }),
      });
      const stable = await allServe(urls, apiKey, probe, '1.0.0');
      result.regressionToStableMs.push(stable - injected);
      await promotion.result();
      options.log(`  regression trial ${trial + 1}: ${(stable - injected).toFixed(0)} ms to stable`);
    }
    for (let trial = 0; trial < options.trials; trial++) {
      const { rollout, promotion, probe } = await startCanary();
      const signalled = performance.now();
      await rollout.signal(rollbackSignal, { actor: 'bench', reason: 'bench' });
      const stable = await allServe(urls, apiKey, probe, '1.0.0');
      result.signalToStableMs.push(stable - signalled);
      await promotion.result();
      options.log(`  rollback-signal trial ${trial + 1}: ${(stable - signalled).toFixed(0)} ms to stable`);
    }
    // The judge model answers in 1.5 s: each analysis (judging live answers first) takes seconds.
    await fetch(`${sim}/${DEFAULT_JUDGE_MODEL}`, {
      method: 'PUT',
      body: JSON.stringify({ ...quick, ttftMs: SLOW_JUDGE_MS, ttftSpreadMs: 0 }),
    });
    for (let trial = 0; trial < options.trials; trial++) {
      const { rollout, promotion, probe } = await startCanary(4);
      // Wait until an analysis is in flight, then roll back in the middle of it.
      for (;;) {
        const pending = (await rollout.describe()).raw.pendingActivities ?? [];
        if (pending.some((a) => a.activityType?.name === 'analyseCanary')) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const signalled = performance.now();
      await rollout.signal(rollbackSignal, { actor: 'bench', reason: 'bench: during a slow analysis' });
      const stable = await allServe(urls, apiKey, probe, '1.0.0');
      result.signalDuringSlowAnalysisMs.push(stable - signalled);
      await promotion.result();
      options.log(
        `  rollback-during-slow-analysis trial ${trial + 1}: ${(stable - signalled).toFixed(0)} ms to stable`,
      );
    }
    await fetch(`${sim}/${DEFAULT_JUDGE_MODEL}`, { method: 'DELETE' });
    options.log(`  (app traffic: ${await stopTraffic()} requests)`);
    return result;
  } finally {
    await connection.close();
    for (const child of children.reverse()) {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }
}
