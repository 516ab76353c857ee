import OpenAI from 'openai';
import type { Pool } from '../db/pool';
import { isGradedType } from '../evals/assertionTypes';
import { scoreOutput } from '../evals/caseEvaluator';
import type { EvalCase } from '../evals/dataset';
import { datasetsByPrompt, loadStoredDataset } from '../evals/runStore';
import { ensureSyntheticTenant, mintSyntheticKey } from '../tenants/syntheticTenant';
import { raiseAlerts, resolveRecovered, type Firing } from './alertStore';
import { notifyNewAlerts, type AlertWebhook } from './alertWebhook';

/** The synthetic tenant probes call as (created as synthetic on first use). */
export const PROBE_TENANT = 'flightdeck-probes';
/** Golden requests per prompt per pass: the cases tagged `probe`, else the dataset's first ones. */
export const PROBE_CASES = 3;

export interface ProbeResult {
  prompt: string;
  caseId: string;
  gateway: string;
  /** The version the gateway served (x-flightdeck-prompt-version), when it answered. */
  version?: string;
  passed: boolean;
  latencyMs: number;
  /** Why it failed: the HTTP error, or the assertions that did not hold. */
  reason?: string;
}

/**
 * A prompt's golden requests: its `probe`-tagged cases (else the first few), with only the checks
 * that need no judge: a probe runs every few minutes and must stay cheap and fast.
 */
export function probeCases(cases: readonly EvalCase[], count = PROBE_CASES): EvalCase[] {
  const tagged = cases.filter((c) => c.tags.includes('probe'));
  return (tagged.length ? tagged : cases)
    .slice(0, count)
    .map((c) => ({ ...c, assertions: c.assertions.filter((a) => !isGradedType(a.type)) }));
}

/** One alert key per prompt: firing when any of its probes failed, in bounds (resolved) when all passed. */
export function probeVerdicts(results: readonly ProbeResult[]): { firings: Firing[]; recovered: string[] } {
  const byPrompt = new Map<string, ProbeResult[]>();
  for (const r of results) byPrompt.set(r.prompt, [...(byPrompt.get(r.prompt) ?? []), r]);
  const firings: Firing[] = [];
  const recovered: string[] = [];
  for (const [prompt, probes] of byPrompt) {
    const key = `synthetic-probe:prompt=${prompt}`;
    const failed = probes.filter((p) => !p.passed);
    if (!failed.length) {
      recovered.push(key);
      continue;
    }
    const latencies = probes.map((p) => p.latencyMs).sort((a, b) => a - b);
    firings.push({
      key,
      ruleId: 'synthetic-probe',
      severity: 'page',
      summary: `${failed.length} of ${probes.length} golden requests to ${prompt} failed (${failed[0]!.caseId} via ${failed[0]!.gateway}: ${failed[0]!.reason})`,
      numbers: { failed: failed.length, probes: probes.length, maxLatencyMs: latencies.at(-1)! },
    });
  }
  return { firings, recovered };
}

/** Ask a gateway for one golden request as the probe tenant, and score the answer. */
async function probeOnce(gateway: string, apiKey: string, prompt: string, c: EvalCase): Promise<ProbeResult> {
  const client = new OpenAI({ apiKey, baseURL: `${gateway}/v1`, maxRetries: 0, timeout: 30_000 });
  const started = performance.now();
  const base = { prompt, caseId: c.id, gateway };
  try {
    const { data, response } = await client.chat.completions
      .create({ model: `prompt:${prompt}`, messages: [], variables: c.vars } as never)
      .withResponse();
    const latencyMs = Math.round(performance.now() - started);
    const answer = data as OpenAI.Chat.Completions.ChatCompletion;
    const text = answer.choices[0]?.message.content ?? '';
    const costUsd = Number(response.headers.get('x-flightdeck-cost-usd') ?? 0);
    const scored = await scoreOutput(c, text, { latencyMs, costUsd }, undefined, 1);
    const failed = scored.assertions.filter((a) => !a.pass);
    return {
      ...base,
      version: response.headers.get('x-flightdeck-prompt-version') ?? undefined,
      passed: scored.passed,
      latencyMs,
      reason: scored.passed
        ? undefined
        : failed
            .map((a) => `${a.type}: ${a.reason}`)
            .join('; ')
            .slice(0, 500),
    };
  } catch (error) {
    const e = error as { status?: number; message: string };
    return {
      ...base,
      passed: false,
      latencyMs: Math.round(performance.now() - started),
      reason: `${e.status ? `HTTP ${e.status}: ` : ''}${e.message}`.slice(0, 500),
    };
  }
}

/** The probe tenant's key this process made, reused while it opens the gateway (a rotation every pass would fill the audit log). */
let cachedKey: { key: string; madeAt: number } | undefined;
const KEY_REUSE_MS = 30 * 60_000;

async function probeKey(pool: Pool, gateway: string, actor: string): Promise<string> {
  if (cachedKey && Date.now() - cachedKey.madeAt < KEY_REUSE_MS) {
    const check = await fetch(`${gateway}/v1/models`, {
      headers: { authorization: `Bearer ${cachedKey.key}` },
      signal: AbortSignal.timeout(5000),
    }).catch(() => undefined);
    await check?.arrayBuffer();
    if (check?.status !== 401) return cachedKey.key; // another process rotated it past its overlap: make one
  }
  await ensureSyntheticTenant(pool, PROBE_TENANT, actor);
  cachedKey = { key: await mintSyntheticKey(pool, PROBE_TENANT, actor), madeAt: Date.now() };
  return cachedKey.key;
}

/**
 * One probe pass: each production prompt with a stored dataset gets its golden requests through
 * the gateways (taking turns, so every gateway is probed), as the synthetic probe tenant; a prompt
 * whose probe fails raises `synthetic-probe:prompt=<name>`, which resolves when they pass again.
 */
export async function runProbePass(
  pool: Pool,
  options: { gatewayUrls: readonly string[]; webhook?: AlertWebhook; actor?: string },
): Promise<{ results: ProbeResult[]; raised: number; resolved: number }> {
  const actor = options.actor ?? 'synthetic-probes';
  const live = await pool.query<{ prompt_name: string }>(
    "SELECT prompt_name FROM prompt_labels WHERE label = 'production'",
  );
  const production = new Set(live.rows.map((r) => r.prompt_name));
  const targets = (await datasetsByPrompt(pool)).filter((d) => production.has(d.prompt));
  if (!targets.length || !options.gatewayUrls.length) return { results: [], raised: 0, resolved: 0 };
  const apiKey = await probeKey(pool, options.gatewayUrls[0]!, actor);
  const results: ProbeResult[] = [];
  let turn = 0;
  for (const { prompt, hash } of targets) {
    const dataset = await loadStoredDataset(pool, hash);
    for (const c of probeCases(dataset.cases)) {
      const gateway = options.gatewayUrls[turn++ % options.gatewayUrls.length]!;
      results.push(await probeOnce(gateway, apiKey, prompt, c));
    }
  }
  const { firings, recovered } = probeVerdicts(results);
  const outcomes = await raiseAlerts(
    pool,
    firings.map((firing) => ({ firing, cooldownMinutes: 15 })),
  );
  const raised = firings.filter((_, i) => outcomes[i] === 'raised');
  if (options.webhook && raised.length) await notifyNewAlerts(options.webhook, raised);
  return { results, raised: raised.length, resolved: await resolveRecovered(pool, recovered) };
}
