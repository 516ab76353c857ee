import type { Pool } from '../db/pool';
import { InputError } from '../errors';
import { priceFor, pricedModels } from '../providers/pricing';

/** What a report can group by, and the rollup column each reads. `route` is the variant served (stable, candidate, …). */
export const COST_DIMENSIONS = {
  tenant: 'tenant_id',
  feature: 'feature',
  model: 'model',
  prompt: 'prompt_name',
  version: 'prompt_version',
  route: 'variant',
  provider: 'provider',
  context: 'context',
} as const;
export type CostDimension = keyof typeof COST_DIMENSIONS;

export interface CostQuery {
  by: CostDimension[];
  tenant?: string;
  sinceDays: number;
  /** Drills, probes and canaries too (left out unless asked for). */
  includeSynthetic: boolean;
  /** Routes costing more than this per call are named in the suggestions. */
  maxCostPerCallUsd: number;
  now: Date;
}

/** One day of one group, summed from the day rollups. */
export interface CostDayRow {
  day: string;
  key: Record<string, string>;
  calls: number;
  inputTokens: number;
  cachedTokens: number;
  outputTokens: number;
  costUsd: number;
  cacheHits: number;
}

/** Per model and prompt over the whole range: what the suggestions read. */
export interface UsageRow {
  prompt: string;
  version: string;
  route: string;
  model: string;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  cacheHits: number;
}

export interface Totals {
  calls: number;
  inputTokens: number;
  cachedTokens: number;
  outputTokens: number;
  costUsd: number;
  costPerCallUsd: number;
  cacheHitRate: number;
  /** The mean daily spend of the last 7 full days in range (today is partial), times 30. */
  projectedMonthlyUsd: number;
}

export interface CostGroup extends Totals {
  key: Record<string, string>;
  series: Array<{ day: string; calls: number; costUsd: number }>;
}

export interface Suggestion {
  kind: 'cheaper_model_for_short_inputs' | 'enable_cache' | 'expensive_route';
  message: string;
  estimatedMonthlySavingUsd?: number;
}

export interface CostReport {
  since: string;
  until: string;
  by: CostDimension[];
  tenant: string | null;
  includeSynthetic: boolean;
  totals: Totals;
  groups: CostGroup[];
  suggestions: Suggestion[];
}

const DAY_MS = 86_400_000;
const PROJECTION_DAYS = 7;
/** Inputs this short rarely need the largest model: cost routing's first candidate rule. */
const SHORT_INPUT_TOKENS = 300;
const MIN_CALLS_FOR_SUGGESTION = 100;

/** `28d`, `7d`, `1d` (days are the rollups' finest grain a report reads). */
export function parseSince(text: string): number {
  const match = /^(\d{1,4})d$/.exec(text);
  const days = match ? Number(match[1]) : NaN;
  if (!Number.isInteger(days) || days < 1 || days > 3660)
    throw new InputError(`--since must be a number of days such as 28d (1d to 3660d), got "${text}"`);
  return days;
}

export function parseBy(text: string): CostDimension[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !(name in COST_DIMENSIONS));
  if (!names.length || unknown.length)
    throw new InputError(
      `--by takes a comma-separated list of ${Object.keys(COST_DIMENSIONS).join(', ')}${unknown.length ? ` (unknown: ${unknown.join(', ')})` : ''}`,
    );
  return [...new Set(names)] as CostDimension[];
}

/** The first day (UTC midnight) a report over `sinceDays` covers: today and the days before it. */
export function firstDay(now: Date, sinceDays: number): Date {
  return new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS - (sinceDays - 1) * DAY_MS);
}

/** Read the day rollups a report needs: per group and day, and per prompt route and model for the suggestions. */
export async function loadCostRows(pool: Pool, query: CostQuery): Promise<{ days: CostDayRow[]; usage: UsageRow[] }> {
  const columns = query.by.map((d) => COST_DIMENSIONS[d]);
  const params = [firstDay(query.now, query.sinceDays), query.tenant ?? null, query.includeSynthetic];
  const where = `grain = 'day' AND bucket >= $1 AND ($2::text IS NULL OR tenant_id = $2) AND ($3 OR NOT synthetic)`;
  const sums = `sum(requests)::float8 AS calls, sum(input_tokens)::float8 AS input, sum(cached_tokens)::float8 AS cached,
    sum(output_tokens)::float8 AS output, sum(cost_usd)::float8 AS cost, sum(cache_hits)::float8 AS hits`;
  const days = await pool.query<Record<string, string | number>>(
    `SELECT to_char(bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, ${columns.map((c, i) => `${c} AS d${i}`).join(', ')}${columns.length ? ',' : ''} ${sums}
     FROM request_rollups_all WHERE ${where} GROUP BY 1${columns.map((_, i) => `, ${i + 2}`).join('')} ORDER BY 1`,
    params,
  );
  const usage = await pool.query<Record<string, string | number>>(
    `SELECT prompt_name, prompt_version, variant, model, ${sums}
     FROM request_rollups_all WHERE ${where} GROUP BY 1, 2, 3, 4`,
    params,
  );
  return {
    days: days.rows.map((row) => ({
      day: String(row.day),
      key: Object.fromEntries(query.by.map((d, i) => [d, String(row[`d${i}`])])),
      calls: Number(row.calls),
      inputTokens: Number(row.input),
      cachedTokens: Number(row.cached),
      outputTokens: Number(row.output),
      costUsd: Number(row.cost),
      cacheHits: Number(row.hits),
    })),
    usage: usage.rows.map((row) => ({
      prompt: String(row.prompt_name),
      version: String(row.prompt_version),
      route: String(row.variant),
      model: String(row.model),
      calls: Number(row.calls),
      inputTokens: Number(row.input),
      outputTokens: Number(row.output),
      costUsd: Number(row.cost),
      cacheHits: Number(row.hits),
    })),
  };
}

function totalsOf(rows: readonly CostDayRow[], query: CostQuery): Totals {
  const sum = (pick: (row: CostDayRow) => number) => rows.reduce((total, row) => total + pick(row), 0);
  const calls = sum((r) => r.calls);
  const costUsd = sum((r) => r.costUsd);
  // The last full days in range (today is still running); fewer when the range is shorter.
  const today = firstDay(query.now, 1).getTime();
  const window = Math.min(PROJECTION_DAYS, query.sinceDays - 1);
  const recent = rows.filter((r) => {
    const day = Date.parse(`${r.day}T00:00:00Z`);
    return day < today && day >= today - window * DAY_MS;
  });
  const projectedMonthlyUsd = window > 0 ? (recent.reduce((t, r) => t + r.costUsd, 0) / window) * 30 : costUsd * 30;
  return {
    calls,
    inputTokens: sum((r) => r.inputTokens),
    cachedTokens: sum((r) => r.cachedTokens),
    outputTokens: sum((r) => r.outputTokens),
    costUsd,
    costPerCallUsd: calls ? costUsd / calls : 0,
    cacheHitRate: calls ? sum((r) => r.cacheHits) / calls : 0,
    projectedMonthlyUsd,
  };
}

/** The cheapest priced model of the same family (the id's first word: gpt, claude, …), if cheaper. */
function cheaperSibling(model: string, at: Date): { model: string; ratio: number } | undefined {
  const price = priceFor(model, at);
  if (!price) return undefined;
  const family = model.split('-')[0];
  const blended = (p: { input: number; output: number }) => p.input + 3 * p.output;
  let best: { model: string; ratio: number } | undefined;
  for (const candidate of pricedModels(at).keys()) {
    if (candidate === model || candidate.split('-')[0] !== family) continue;
    const other = priceFor(candidate, at)!;
    const ratio = blended(other) / blended(price);
    if (ratio < 1 && (!best || ratio < best.ratio)) best = { model: candidate, ratio };
  }
  return best;
}

/** Suggestions drawn from the usage: each names what to change and, where it can, what it saves. */
export function suggestions(usage: readonly UsageRow[], query: CostQuery, rangeDays: number): Suggestion[] {
  const out: Suggestion[] = [];
  const monthly = (usd: number) => (usd / rangeDays) * 30;
  for (const row of usage) {
    if (!row.calls) continue;
    const name = row.prompt ? `prompt ${row.prompt}@${row.version} (${row.route})` : `direct calls to ${row.model}`;
    const averageInput = row.inputTokens / row.calls;
    const cheaper = row.model ? cheaperSibling(row.model, query.now) : undefined;
    if (
      row.calls >= MIN_CALLS_FOR_SUGGESTION &&
      averageInput <= SHORT_INPUT_TOKENS &&
      cheaper &&
      cheaper.ratio <= 0.5
    ) {
      const saving = monthly(row.costUsd * (1 - cheaper.ratio));
      out.push({
        kind: 'cheaper_model_for_short_inputs',
        message: `${name} sends short inputs (${Math.round(averageInput)} tokens on average) to ${row.model}; a cost-routing rule \`{ max_input_tokens: ${SHORT_INPUT_TOKENS}, model: ${cheaper.model} }\` in its gateway section would serve them at ${Math.round(cheaper.ratio * 100)}% of the price (check quality with an eval first)`,
        estimatedMonthlySavingUsd: Number(saving.toFixed(2)),
      });
    }
    if (row.prompt && row.calls >= MIN_CALLS_FOR_SUGGESTION && row.cacheHits / row.calls < 0.05) {
      out.push({
        kind: 'enable_cache',
        message: `${name} answers ${(100 * (row.cacheHits / row.calls)).toFixed(1)}% of calls from the cache; if its inputs repeat, set gateway.cache.ttl_seconds in its prompt file`,
      });
    }
    const perCall = row.costUsd / row.calls;
    if (perCall > query.maxCostPerCallUsd) {
      out.push({
        kind: 'expensive_route',
        message: `${name} on ${row.model} costs $${perCall.toFixed(4)} per call, above $${query.maxCostPerCallUsd}; cap max_tokens, trim the context or route to a cheaper model`,
      });
    }
  }
  return out.sort((a, b) => (b.estimatedMonthlySavingUsd ?? 0) - (a.estimatedMonthlySavingUsd ?? 0));
}

/** Totals, per-group totals with their per-day series (busiest spend first), and suggestions. */
export function buildCostReport(days: readonly CostDayRow[], usage: readonly UsageRow[], query: CostQuery): CostReport {
  const groups = new Map<string, CostDayRow[]>();
  for (const row of days) {
    const key = JSON.stringify(row.key);
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return {
    since: firstDay(query.now, query.sinceDays).toISOString().slice(0, 10),
    until: query.now.toISOString(),
    by: query.by,
    tenant: query.tenant ?? null,
    includeSynthetic: query.includeSynthetic,
    totals: totalsOf(days, query),
    groups: [...groups.values()]
      .map((rows) => ({
        key: rows[0]!.key,
        ...totalsOf(rows, query),
        series: rows.map((r) => ({ day: r.day, calls: r.calls, costUsd: r.costUsd })),
      }))
      .sort((a, b) => b.costUsd - a.costUsd),
    suggestions: suggestions(usage, query, query.sinceDays),
  };
}
