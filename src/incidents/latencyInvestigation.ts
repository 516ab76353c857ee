import type { Pool } from '../db/pool';
import { addHistograms, emptyHistogram, histogramQuantile, type Histogram } from '../monitoring/histogram';
import { histogramSum } from '../monitoring/rollups';

/** One group of a model's traffic as the rollups sum it: by provider, context length and prompt version. */
export interface LatencyGroup {
  provider: string;
  context: string;
  prompt: string;
  version: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  hist: Histogram;
}

export type LatencyCause = 'longer-contexts' | 'longer-outputs' | 'slower-provider' | 'unclear';

/** Seed 000's latency runbook: where a model's time went, against its usual week. */
export interface LatencyFindings {
  model: string;
  windowMinutes: number;
  p99Ms: number | null;
  baselineP99Ms: number | null;
  providers: Array<{ provider: string; requests: number; p99Ms: number | null; baselineP99Ms: number | null }>;
  /** The share of requests per context-length bucket, and each bucket's p99, now and usually. */
  contexts: Array<{
    context: string;
    share: number;
    baselineShare: number;
    p99Ms: number | null;
    baselineP99Ms: number | null;
  }>;
  /** Tokens per request of each prompt version seen in the window, against the same version's (or prompt's) usual. */
  versions: Array<{
    prompt: string;
    version: string;
    requests: number;
    inputTokens: number;
    outputTokens: number;
    baselineInputTokens: number | null;
    baselineOutputTokens: number | null;
  }>;
  cause: LatencyCause;
  /** The mitigation the runbook names for the cause. */
  advice: string;
}

/** Long inputs: 8k tokens and up (the buckets the context-latency objective treats as slow by nature). */
const LONG_CONTEXTS = new Set(['8k-32k', '32k-128k', '128k-up']);

interface Totals {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  hist: Histogram;
}

function sumBy(groups: readonly LatencyGroup[], key: (g: LatencyGroup) => string): Map<string, Totals> {
  const totals = new Map<string, Totals>();
  for (const g of groups) {
    const t = totals.get(key(g)) ?? { requests: 0, inputTokens: 0, outputTokens: 0, hist: emptyHistogram() };
    t.requests += g.requests;
    t.inputTokens += g.inputTokens;
    t.outputTokens += g.outputTokens;
    t.hist = addHistograms(t.hist, g.hist);
    totals.set(key(g), t);
  }
  return totals;
}

const p99 = (t: Totals | undefined) => (t ? (histogramQuantile(t.hist, 0.99) ?? null) : null);
const per = (sum: number, n: number) => (n ? sum / n : 0);

/**
 * The runbook's three questions, answered from the window's groups against the baseline's: did
 * inputs get longer (the context-length mix), did answers get longer (tokens per request of the
 * versions serving), or is the provider slower at the same input size (each context bucket's p99)?
 */
export function latencyFindings(
  model: string,
  windowMinutes: number,
  window: readonly LatencyGroup[],
  baseline: readonly LatencyGroup[],
): LatencyFindings {
  const all = (g: readonly LatencyGroup[]) => sumBy(g, () => '').get('');
  const [now, usual] = [all(window), all(baseline)];
  const nowRequests = now?.requests ?? 0;
  const usualRequests = usual?.requests ?? 0;

  const providersNow = sumBy(window, (g) => g.provider);
  const providersUsual = sumBy(baseline, (g) => g.provider);
  const providers = [...providersNow].map(([provider, t]) => ({
    provider,
    requests: t.requests,
    p99Ms: p99(t),
    baselineP99Ms: p99(providersUsual.get(provider)),
  }));

  const contextsNow = sumBy(window, (g) => g.context);
  const contextsUsual = sumBy(baseline, (g) => g.context);
  const contexts = [...new Set([...contextsNow.keys(), ...contextsUsual.keys()])].sort().map((context) => ({
    context,
    share: per(contextsNow.get(context)?.requests ?? 0, nowRequests),
    baselineShare: per(contextsUsual.get(context)?.requests ?? 0, usualRequests),
    p99Ms: p99(contextsNow.get(context)),
    baselineP99Ms: p99(contextsUsual.get(context)),
  }));

  const versionKey = (g: LatencyGroup) => `${g.prompt}@${g.version}`;
  const versionsUsual = sumBy(baseline, versionKey);
  const versions = [...sumBy(window, versionKey)].map(([key, t]) => {
    const [name, version] = key.split('@') as [string, string];
    const prompt = name || '(direct calls)';
    const usualOf = versionsUsual.get(key);
    return {
      prompt,
      version,
      requests: t.requests,
      inputTokens: per(t.inputTokens, t.requests),
      outputTokens: per(t.outputTokens, t.requests),
      baselineInputTokens: usualOf ? per(usualOf.inputTokens, usualOf.requests) : null,
      baselineOutputTokens: usualOf ? per(usualOf.outputTokens, usualOf.requests) : null,
    };
  });

  const longShare = (list: typeof contexts, pick: 'share' | 'baselineShare') =>
    list.filter((c) => LONG_CONTEXTS.has(c.context)).reduce((sum, c) => sum + c[pick], 0);
  const outputNow = per(now?.outputTokens ?? 0, nowRequests);
  const outputUsual = per(usual?.outputTokens ?? 0, usualRequests);
  // The busiest bucket now, slower than it usually is: the same inputs take longer.
  const busiest = [...contexts].sort((a, b) => b.share - a.share)[0];
  const cause: LatencyCause =
    !nowRequests || !usualRequests
      ? 'unclear'
      : longShare(contexts, 'share') - longShare(contexts, 'baselineShare') >= 0.1 &&
          longShare(contexts, 'share') >= 1.5 * longShare(contexts, 'baselineShare')
        ? 'longer-contexts'
        : outputUsual > 0 && outputNow >= 1.5 * outputUsual
          ? 'longer-outputs'
          : busiest?.p99Ms && busiest.baselineP99Ms && busiest.p99Ms >= 2 * busiest.baselineP99Ms
            ? 'slower-provider'
            : 'unclear';
  return {
    model,
    windowMinutes,
    p99Ms: p99(now),
    baselineP99Ms: p99(usual),
    providers,
    contexts,
    versions,
    cause,
    advice: ADVICE[cause],
  };
}

const ADVICE: Record<LatencyCause, string> = {
  'longer-contexts':
    'inputs got longer: find the feature or prompt version sending them (context-latency by bucket), cap max_input_tokens or trim retrieval',
  'longer-outputs':
    'answers got longer: cap them (`flightdeck route cap`, or `latency_mitigation: max_tokens`), then set a tighter max_tokens on the version serving or roll it back',
  'slower-provider':
    'the provider is slower at the same input size: the backup serves first until probes are fast again',
  unclear: 'no single cause in the mix: compare per-provider latency and the versions released in the window',
};

const ms = (value: number | null) => (value === null ? '?' : `${Math.round(value)} ms`);

/** One line for the timeline: the p99, the likely cause and its advice, the biggest movers. */
export function latencySummary(f: LatencyFindings): string {
  const longest = [...f.contexts].sort((a, b) => b.share - b.baselineShare - (a.share - a.baselineShare))[0];
  const slowest = [...f.providers].sort((a, b) => (b.p99Ms ?? 0) - (a.p99Ms ?? 0))[0];
  return [
    `${f.model} p99 ${ms(f.p99Ms)} in ${f.windowMinutes} min against ${ms(f.baselineP99Ms)} usual`,
    `likely cause: ${f.cause} (${f.advice})`,
    ...(longest
      ? [
          `context ${longest.context}: ${Math.round(longest.share * 100)}% of calls (usual ${Math.round(longest.baselineShare * 100)}%)`,
        ]
      : []),
    ...(slowest
      ? [`slowest provider ${slowest.provider}: p99 ${ms(slowest.p99Ms)} (usual ${ms(slowest.baselineP99Ms)})`]
      : []),
    ...f.versions
      .slice(0, 3)
      .map(
        (v) =>
          `${v.prompt}@${v.version}: ${Math.round(v.inputTokens)} in / ${Math.round(v.outputTokens)} out tokens per call` +
          (v.baselineOutputTokens === null
            ? ' (new)'
            : ` (usual ${Math.round(v.baselineInputTokens!)} / ${Math.round(v.baselineOutputTokens)})`),
      ),
  ].join('; ');
}

/** The model's traffic of the last `windowMinutes` and of the 7 days before, grouped, from the rollups. */
export async function investigateLatency(pool: Pool, model: string, windowMinutes = 30): Promise<LatencyFindings> {
  const sql = (grain: 'minute' | 'hour') =>
    `SELECT provider, context, prompt_name AS prompt, prompt_version AS version, sum(requests)::float8 AS requests,
            sum(input_tokens)::float8 AS input_tokens, sum(output_tokens)::float8 AS output_tokens,
            ${histogramSum('latency_hist')} AS hist
     FROM request_rollups_all
     WHERE grain = '${grain}' AND model = $1 AND NOT synthetic AND bucket >= $2 AND bucket < $3
     GROUP BY provider, context, prompt_name, prompt_version`;
  const now = Date.now();
  const windowStart = new Date(now - windowMinutes * 60_000);
  const read = async (grain: 'minute' | 'hour', from: Date, until: Date): Promise<LatencyGroup[]> => {
    const { rows } = await pool.query<{
      provider: string;
      context: string;
      prompt: string;
      version: string;
      requests: number;
      input_tokens: number;
      output_tokens: number;
      hist: string[];
    }>(sql(grain), [model, from, until]);
    return rows.map((r) => ({
      provider: r.provider,
      context: r.context || 'unknown',
      prompt: r.prompt,
      version: r.version,
      requests: r.requests,
      inputTokens: r.input_tokens,
      outputTokens: r.output_tokens,
      hist: r.hist.map(Number),
    }));
  };
  // The baseline's hours end where the window's hour starts, so the spike is not its own baseline.
  const baselineUntil = new Date(Math.floor(windowStart.getTime() / 3_600_000) * 3_600_000);
  const [window, baseline] = await Promise.all([
    read('minute', windowStart, new Date(now + 60_000)),
    read('hour', new Date(baselineUntil.getTime() - 7 * 86_400_000), baselineUntil),
  ]);
  return latencyFindings(model, windowMinutes, window, baseline);
}
