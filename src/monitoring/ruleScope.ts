import type { Pool } from '../db/pool';
import { contextBucketSql } from './contextBuckets';
import { COST_DIMENSIONS } from './costReport';
import type { Verdict } from './detectors';
import type { MonitorRule } from './monitorRules';

/** One series' verdict under one rule. */
export interface SeriesVerdict {
  key: string;
  series: Record<string, string>;
  verdict: Verdict;
  severity: 'page' | 'ticket';
  /** Judge-score rules: more of the series' answers in this range to judge now (confirmationSampling.ts). */
  confirm?: { answers: number; from: string; until: string };
}

export type Row = Record<string, string | number | null>;
export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;

// Baselines span weeks and move by the hour: a pass a minute reads each once an hour per database.
const baselines = new WeakMap<Pool, Map<string, Promise<Row[]>>>();
const MAX_BASELINES = 128; // this hour's and, read ahead, the next one's (monitorPass.ts prefetchBaselines)

/** A baseline query's rows, from the cache when the same query over the same hours was read already. */
export function cachedBaseline(pool: Pool, sql: string, params: Array<Date | number | boolean>): Promise<Row[]> {
  let cache = baselines.get(pool);
  if (!cache) baselines.set(pool, (cache = new Map()));
  const key = `${sql}|${params.map((p) => (p instanceof Date ? p.toISOString() : String(p))).join('|')}`;
  let rows = cache.get(key);
  if (!rows) {
    if (cache.size >= MAX_BASELINES) cache.delete(cache.keys().next().value!);
    rows = pool.query<Row>(sql, params).then((result) => result.rows);
    rows.catch(() => cache.delete(key)); // a failed read is not remembered
    cache.set(key, rows);
  }
  return rows;
}

/** The SQL pieces shared by a rule's queries: its dimension columns and its filters. */
export function scope(rule: MonitorRule) {
  const columns = rule.by.map((d) => COST_DIMENSIONS[d]);
  const select = columns.map((c, i) => `${c} AS d${i}, `).join('');
  /** A dimension read from request rows (alias r), where an absent one is NULL, not ''. */
  const rowColumn = (c: (typeof columns)[number]) =>
    c === 'context' ? contextBucketSql('r.input_tokens') : `coalesce(r.${c}, '')`;
  const selectRows = columns.map((c, i) => `${rowColumn(c)} AS d${i}, `).join('');
  /** Request rows of one series: its values (in `by` order) are the parameters from $`first` on. */
  const seriesRows = (first: number) => columns.map((c, i) => `AND ${rowColumn(c)} = $${first + i}`).join(' ');
  /** The dimension aliases, "d0, d1, " (empty without dimensions). */
  const dims = columns.map((_, i) => `d${i}, `).join('');
  const group = columns.length ? `GROUP BY ${columns.map((_, i) => `d${i}`).join(', ')}` : '';
  /** Grouped per rollup bucket as well (for recentBuckets.ts). */
  const groupWithBucket = `GROUP BY bucket${columns.map((_, i) => `, d${i}`).join('')}`;
  // Which rows a rule reads: not synthetic traffic unless asked; and a rule kept per prompt watches
  // prompts (direct calls without one are not a prompt's series: the model-wide rules watch them).
  const perPrompt = rule.by.includes('prompt');
  const filters = `${rule.include_synthetic ? '' : 'AND NOT synthetic'} ${perPrompt ? "AND prompt_name <> ''" : ''}`;
  const filtersRows = `${rule.include_synthetic ? '' : 'AND NOT r.synthetic'} ${perPrompt ? 'AND r.prompt_name IS NOT NULL' : ''}`;
  const seriesOf = (row: Row) => Object.fromEntries(rule.by.map((d, i) => [d, String(row[`d${i}`])]));
  /** A row's series as one string (map keys; cheaper than its object, rows are many). */
  const seriesId = (row: Row) => columns.map((_, i) => row[`d${i}`]).join('\u0001');
  /**
   * The judged window (minute rollups) and its baseline: whole hours ending at least an hour before
   * the window, back `baseline_days`. Hour-aligned, so a baseline is read once an hour (see `cachedBaseline`).
   */
  const periods = (now: Date) => {
    const windowStart = new Date(now.getTime() - rule.window_minutes * MINUTE_MS);
    const until = Math.floor((windowStart.getTime() - 60 * MINUTE_MS) / HOUR_MS) * HOUR_MS;
    return {
      windowStart,
      baselineFrom: new Date(until - rule.baseline_days * 86_400_000),
      baselineUntil: new Date(until),
    };
  };
  return {
    select,
    selectRows,
    seriesRows,
    dims,
    group,
    groupWithBucket,
    filters,
    filtersRows,
    seriesOf,
    seriesId,
    periods,
  };
}

/** An alert's key: the rule and the series, e.g. tenant-cost-spike:tenant=acme. */
export const keyOf = (rule: MonitorRule, series: Record<string, string>) =>
  `${rule.id}:${Object.entries(series)
    .map(([d, v]) => `${d}=${v || 'none'}`)
    .join(',')}`;
