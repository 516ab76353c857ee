import type { Pool } from '../db/pool';
import { raiseAlert, resolveRecovered, type RaiseOutcome } from './alertStore';
import { notifyAlert, type AlertWebhook } from './alertWebhook';
import { COST_DIMENSIONS } from './costReport';
import { burnRate, rateShift, robustSpike, type Verdict } from './detectors';
import { HISTOGRAM_BUCKETS, LATENCY_BOUNDS_MS } from './histogram';
import type { MonitorRule } from './monitorRules';

/** One series' verdict under one rule. */
export interface SeriesVerdict {
  key: string;
  series: Record<string, string>;
  verdict: Verdict;
  severity: 'page' | 'ticket';
}

export interface MonitorPassSummary {
  at: string;
  rules: number;
  series: number;
  firing: number;
  raised: number;
  resolved: number;
  /** New alerts posted to the webhook, and those it would not take after its retries. */
  notified: number;
  notifyFailed: number;
  noData: number;
  lowVolume: number;
  /** What fired, for the workflow's details and the CLI. */
  alerts: Array<{ key: string; outcome: RaiseOutcome; summary: string }>;
}

type Row = Record<string, string | number | null>;
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

// Baselines span weeks and move by the hour: a pass a minute reads each once an hour per database.
const baselines = new WeakMap<Pool, Map<string, Promise<Row[]>>>();
const MAX_BASELINES = 64;

/** A baseline query's rows, from the cache when the same query over the same hours was read already. */
function cachedBaseline(pool: Pool, sql: string, params: Date[]): Promise<Row[]> {
  let cache = baselines.get(pool);
  if (!cache) baselines.set(pool, (cache = new Map()));
  const key = `${sql}|${params.map((p) => p.toISOString()).join('|')}`;
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
function scope(rule: MonitorRule) {
  const columns = rule.by.map((d) => COST_DIMENSIONS[d]);
  const select = columns.map((c, i) => `${c} AS d${i}, `).join('');
  const group = columns.length ? `GROUP BY ${columns.map((_, i) => `d${i}`).join(', ')}` : '';
  const synthetic = rule.include_synthetic ? '' : 'AND NOT synthetic';
  const seriesOf = (row: Row) => Object.fromEntries(rule.by.map((d, i) => [d, String(row[`d${i}`])]));
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
  return { select, group, synthetic, seriesOf, periods };
}

/** An alert's key: the rule and the series, e.g. tenant-cost-spike:tenant=acme. */
const keyOf = (rule: MonitorRule, series: Record<string, string>) =>
  `${rule.id}:${Object.entries(series)
    .map(([d, v]) => `${d}=${v || 'none'}`)
    .join(',')}`;

async function costSpikes(pool: Pool, rule: MonitorRule & { metric: 'cost_usd' }, now: Date): Promise<SeriesVerdict[]> {
  const { select, group, synthetic, seriesOf, periods } = scope(rule);
  const { windowStart, baselineFrom, baselineUntil } = periods(now);
  const current = await pool.query<Row>(
    `SELECT ${select} sum(cost_usd)::float8 AS cost FROM request_rollups_all
     WHERE grain = 'minute' AND bucket >= $1 AND bucket < $2 ${synthetic} ${group}`,
    [windowStart, now],
  );
  // Hours with traffic only: a tenant busy eight hours a day has a median of its busy hours, not zero.
  const baseline = await cachedBaseline(
    pool,
    `SELECT ${rule.by.map((_, i) => `d${i}, `).join('')} array_agg(cost) AS hours FROM (
       SELECT ${select} bucket, sum(cost_usd)::float8 AS cost FROM request_rollups_all
       WHERE grain = 'hour' AND bucket >= $1 AND bucket < $2 ${synthetic}
       GROUP BY ${rule.by.map((_, i) => `d${i}, `).join('')} bucket HAVING sum(requests) > 0) h ${group}`,
    [baselineFrom, baselineUntil],
  );
  const hours = new Map(baseline.map((row) => [JSON.stringify(seriesOf(row)), row.hours as unknown as number[]]));
  // The window's spend compares with hours of spend: scale it to an hour.
  const perHour = 60 / rule.window_minutes;
  return current.rows.map((row) => {
    const series = seriesOf(row);
    return {
      key: keyOf(rule, series),
      series,
      severity: rule.severity,
      verdict: robustSpike(Number(row.cost) * perHour, hours.get(JSON.stringify(series)) ?? [], {
        sigmas: rule.detector.sigmas,
        ratio: rule.detector.ratio,
        floor: rule.detector.floor,
        minBaseline: rule.detector.min_baseline,
      }),
    };
  });
}

const BURN_MINUTE_WINDOWS = [5, 30, 60, 360];
const BURN_HOUR_WINDOW = 4320;

/**
 * What counts against an objective's budget: a 5xx, or a request slower than the threshold (the
 * histogram buckets above its bound).
 */
function badRequests(rule: MonitorRule & { metric: 'server_error_rate' | 'slow_request_rate' }): string {
  if (rule.metric === 'server_error_rate') return 'server_errors';
  const above = LATENCY_BOUNDS_MS.indexOf(rule.detector.threshold_ms as (typeof LATENCY_BOUNDS_MS)[number]) + 2;
  return Array.from({ length: HISTOGRAM_BUCKETS - above + 1 }, (_, i) => `latency_hist[${above + i}]`).join(' + ');
}

async function errorBudgetBurns(
  pool: Pool,
  rule: MonitorRule & { metric: 'server_error_rate' | 'slow_request_rate' },
  now: Date,
): Promise<SeriesVerdict[]> {
  const { select, group, synthetic, seriesOf } = scope(rule);
  const bad = badRequests(rule);
  const sums = (windows: number[]) =>
    windows
      .map(
        (m) =>
          `coalesce(sum(${bad}) FILTER (WHERE bucket >= $1::timestamptz - interval '${m} minutes'), 0)::float8 AS bad${m},
           coalesce(sum(requests) FILTER (WHERE bucket >= $1::timestamptz - interval '${m} minutes'), 0)::float8 AS total${m}`,
      )
      .join(', ');
  const minutes = await pool.query<Row>(
    `SELECT ${select} ${sums(BURN_MINUTE_WINDOWS)} FROM request_rollups_all
     WHERE grain = 'minute' AND bucket >= $1::timestamptz - interval '360 minutes' AND bucket < $1 ${synthetic} ${group}`,
    [now],
  );
  const days = await pool.query<Row>(
    `SELECT ${select} ${sums([BURN_HOUR_WINDOW])} FROM request_rollups_all
     WHERE grain = 'hour' AND bucket >= $1::timestamptz - interval '${BURN_HOUR_WINDOW} minutes' AND bucket < $1 ${synthetic} ${group}`,
    [now],
  );
  const long = new Map(days.rows.map((row) => [JSON.stringify(seriesOf(row)), row]));
  return minutes.rows.map((row) => {
    const series = seriesOf(row);
    const hourly = long.get(JSON.stringify(series));
    const windows = [
      ...BURN_MINUTE_WINDOWS.map((m) => ({ minutes: m, bad: Number(row[`bad${m}`]), total: Number(row[`total${m}`]) })),
      {
        minutes: BURN_HOUR_WINDOW,
        bad: Number(hourly?.[`bad${BURN_HOUR_WINDOW}`] ?? 0),
        total: Number(hourly?.[`total${BURN_HOUR_WINDOW}`] ?? 0),
      },
    ];
    const verdict = burnRate(windows, rule.detector.objective, rule.min_volume);
    return { key: keyOf(rule, series), series, severity: verdict.severity ?? rule.severity, verdict };
  });
}

async function guardrailBlockShifts(
  pool: Pool,
  rule: MonitorRule & { metric: 'guardrail_block_rate' },
  now: Date,
): Promise<SeriesVerdict[]> {
  const { select, group, synthetic, seriesOf, periods } = scope(rule);
  const { windowStart, baselineFrom, baselineUntil } = periods(now);
  const dims = rule.by.map((_, i) => `d${i}, `).join('');
  const countsSql = (grain: 'minute' | 'hour') =>
    `WITH scoped AS (
       SELECT ${select} requests, guardrail_decisions FROM request_rollups_all
       WHERE grain = '${grain}' AND bucket >= $1 AND bucket < $2 ${synthetic}),
     totals AS (SELECT ${dims} sum(requests)::float8 AS total FROM scoped ${group}),
     blocks AS (
       SELECT ${dims} split_part(e.key, ':', 1) AS guardrail, sum(e.value::bigint)::float8 AS hits
       FROM scoped, jsonb_each_text(guardrail_decisions) e WHERE e.key LIKE '%:block'
       GROUP BY ${dims} guardrail)
     SELECT t.*, b.guardrail, coalesce(b.hits, 0) AS hits FROM totals t LEFT JOIN blocks b
       ON ${rule.by.map((_, i) => `b.d${i} = t.d${i}`).join(' AND ') || 'true'}`;
  const [current, baseline] = await Promise.all([
    pool.query<Row>(countsSql('minute'), [windowStart, now]).then((result) => result.rows),
    cachedBaseline(pool, countsSql('hour'), [baselineFrom, baselineUntil]),
  ]);
  const before = new Map(baseline.map((row) => [`${JSON.stringify(seriesOf(row))}|${row.guardrail}`, row]));
  const totalsBefore = new Map(baseline.map((row) => [JSON.stringify(seriesOf(row)), Number(row.total)]));
  const verdicts: SeriesVerdict[] = [];
  for (const row of current) {
    if (row.guardrail === null) continue; // nothing blocked now: no shift upwards to judge
    const series = { ...seriesOf(row), guardrail: String(row.guardrail) };
    const then = before.get(`${JSON.stringify(seriesOf(row))}|${row.guardrail}`);
    verdicts.push({
      key: keyOf(rule, series),
      series,
      severity: rule.severity,
      verdict: rateShift(
        { hits: Number(row.hits), total: Number(row.total) },
        { hits: Number(then?.hits ?? 0), total: totalsBefore.get(JSON.stringify(seriesOf(row))) ?? 0 },
        rule.detector.ratio,
        rule.min_volume,
      ),
    });
  }
  return verdicts;
}

/** Every series of one rule, judged at `now`. */
export function judgeRule(pool: Pool, rule: MonitorRule, now: Date): Promise<SeriesVerdict[]> {
  switch (rule.metric) {
    case 'cost_usd':
      return costSpikes(pool, rule, now);
    case 'server_error_rate':
    case 'slow_request_rate':
      return errorBudgetBurns(pool, rule, now);
    case 'guardrail_block_rate':
      return guardrailBlockShifts(pool, rule, now);
  }
}

/**
 * One pass: judge every rule's series, raise (deduplicated) what fires, resolve what is back in
 * bounds. A series with no data or too little traffic neither fires nor resolves: it is counted as
 * such, so a quiet pass is never mistaken for a healthy one.
 */
export async function runMonitorPass(
  pool: Pool,
  rules: readonly MonitorRule[],
  options: { now?: Date; webhook?: AlertWebhook } = {},
): Promise<MonitorPassSummary> {
  const now = options.now ?? new Date();
  const summary: MonitorPassSummary = {
    at: now.toISOString(),
    rules: rules.length,
    series: 0,
    firing: 0,
    raised: 0,
    resolved: 0,
    notified: 0,
    notifyFailed: 0,
    noData: 0,
    lowVolume: 0,
    alerts: [],
  };
  for (const rule of rules) {
    const verdicts = await judgeRule(pool, rule, now);
    summary.series += verdicts.length;
    const recovered: string[] = [];
    for (const { key, verdict, severity } of verdicts) {
      if (verdict.state === 'no_data') summary.noData += 1;
      else if (verdict.state === 'low_volume') summary.lowVolume += 1;
      else if (verdict.state === 'ok') recovered.push(key);
      else {
        summary.firing += 1;
        const firing = {
          key,
          ruleId: rule.id,
          severity,
          summary: verdict.reason,
          numbers: verdict.numbers,
          playbook: rule.playbook,
        };
        const outcome = await raiseAlert(pool, firing, rule.cooldown_minutes);
        if (outcome === 'raised') {
          summary.raised += 1;
          if (options.webhook) {
            if (await notifyAlert(options.webhook, firing)) summary.notified += 1;
            else summary.notifyFailed += 1;
          }
        }
        summary.alerts.push({ key, outcome, summary: verdict.reason });
      }
    }
    summary.resolved += await resolveRecovered(pool, recovered);
  }
  return summary;
}
