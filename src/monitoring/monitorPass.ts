import type { Pool } from '../db/pool';
import { drillFreshness } from '../drills/drillOverdue';
import { drillHistory } from '../drills/drillRuns';
import { raiseAlerts, resolveRecovered, type Firing, type RaiseOutcome } from './alertStore';
import type { Confirmation } from './confirmationSampling';
import { notifyNewAlerts, type AlertWebhook } from './alertWebhook';
import { burnRate, robustSpike } from './detectors';
import { GUARDRAIL_IDS } from '../guardrails/guardrailIds';
import { HISTOGRAM_BUCKETS, LATENCY_BOUNDS_MS } from './histogram';
import { latencyShifts } from './latencyShifts';
import type { MonitorRule, PlaybookSettings } from './monitorRules';
import { incidentFor } from './playbookStarts';
import type { IncidentInput } from '../model/incident';
import { allSeasonsAgree, seasonFilter, seasonsOf } from './seasonality';
import { guardrailLatencySpikes } from './guardrailLatency';
import { judgeScoreDrops, meanShifts } from './qualityJudges';
import { falsePositiveRates, rateShifts } from './rateJudges';
import { recentBuckets, windowSums } from './recentBuckets';
import { cachedBaseline, HOUR_MS, keyOf, MINUTE_MS, scope, type SeriesVerdict } from './ruleScope';

export type { SeriesVerdict } from './ruleScope';

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
  /** Series whose suspected drop needs more answers judged now (confirmationSampling.ts). */
  confirmations: Confirmation[];
  /** Playbooks the new alerts start (the monitor workflow starts or joins `incident/<kind>/<alert key>`). */
  incidents: IncidentInput[];
}

async function costSpikes(pool: Pool, rule: MonitorRule & { metric: 'cost_usd' }, now: Date): Promise<SeriesVerdict[]> {
  const { select, group, groupWithBucket, filters, seriesOf, seriesId, periods } = scope(rule);
  const { windowStart, baselineFrom, baselineUntil } = periods(now);
  const current = await recentBuckets(
    pool,
    'minute',
    `SELECT bucket, ${select} sum(cost_usd)::float8 AS cost FROM request_rollups_all
     WHERE grain = 'minute' AND bucket >= $1 AND bucket < $2 ${filters} ${groupWithBucket}`,
    windowStart,
    now,
  );
  // The same hours of day on days of the same kind (see seasonality.ts), hours with traffic only.
  const seasons = seasonsOf(windowStart, now);
  const baselines = await Promise.all(
    seasons.map(async (season) => {
      const rows = await cachedBaseline(
        pool,
        `SELECT ${rule.by.map((_, i) => `d${i}, `).join('')} array_agg(cost) AS hours FROM (
           SELECT ${select} bucket, sum(cost_usd)::float8 AS cost FROM request_rollups_all
           WHERE grain = 'hour' AND bucket >= $1 AND bucket < $2 ${filters} ${seasonFilter('$3', '$4')}
           GROUP BY ${rule.by.map((_, i) => `d${i}, `).join('')} bucket HAVING sum(requests) > 0) h ${group}`,
        [baselineFrom, baselineUntil, season.hour, season.weekend],
      );
      return new Map(rows.map((row) => [seriesId(row), row.hours as unknown as number[]]));
    }),
  );
  // The window's spend compares with hours of spend: scale it to an hour.
  const perHour = 60 / rule.window_minutes;
  const options = {
    sigmas: rule.detector.sigmas,
    ratio: rule.detector.ratio,
    floor: rule.detector.floor,
    minBaseline: rule.detector.min_baseline,
  };
  return [...windowSums(current, [windowStart.getTime()], seriesId, ['cost'])].map(([id, { row, sums }]) => {
    const series = seriesOf(row);
    const spend = sums[0]![0]! * perHour;
    return {
      key: keyOf(rule, series),
      series,
      severity: rule.severity,
      verdict: allSeasonsAgree(baselines.map((hours) => robustSpike(spend, hours.get(id) ?? [], options))),
    };
  });
}

/**
 * The burn-rate windows the SRE tiers read: up to an hour from minute rollups; six hours and three
 * days from hour rollups (whole hours, the one in progress included: scanning six hours of minute
 * rollups was most of a pass's time).
 */
export const BURN_MINUTE_WINDOWS = [1, 5, 30, 60];
export const BURN_HOUR_WINDOWS = [360, 4320];

type BudgetRule = MonitorRule & { metric: 'server_error_rate' | 'slow_request_rate' | 'bad_answer_rate' };

/**
 * What counts against an objective's budget: a 5xx; a request slower than the threshold in total or
 * to its first token (the histogram buckets above its bound); an answer flagged as a refusal or as
 * failing its JSON schema. The budget is over all requests.
 */
function badRequests(rule: BudgetRule): string {
  switch (rule.metric) {
    case 'server_error_rate':
      return 'server_errors';
    case 'bad_answer_rate':
      return [GUARDRAIL_IDS.outputRefusal, GUARDRAIL_IDS.outputJsonSchema]
        .map((id) => `coalesce((guardrail_decisions->>'${id}:flag')::bigint, 0)`)
        .join(' + ');
    case 'slow_request_rate': {
      const histogram = rule.detector.of === 'ttft' ? 'ttft_hist' : 'latency_hist';
      const above = LATENCY_BOUNDS_MS.indexOf(rule.detector.threshold_ms as (typeof LATENCY_BOUNDS_MS)[number]) + 2;
      return Array.from({ length: HISTOGRAM_BUCKETS - above + 1 }, (_, i) => `${histogram}[${above + i}]`).join(' + ');
    }
  }
}

/**
 * Burn-rate rules judged together when they watch the same series (the same `by` and synthetic
 * scope): one scan of the minute rollups and one of the hour rollups for all of them, not one each
 * (the availability, latency, first-token and bad-answer objectives all read the same rows).
 */
async function errorBudgetBurns(pool: Pool, rules: readonly BudgetRule[], now: Date): Promise<SeriesVerdict[][]> {
  const { select, groupWithBucket, filters, seriesOf, seriesId } = scope(rules[0]!);
  const columns = ['total', ...rules.map((_, i) => `bad${i}`)];
  const perBucket = (grain: 'minute' | 'hour') =>
    `SELECT bucket, ${select} sum(requests)::float8 AS total, ${rules
      .map((rule, i) => `sum(${badRequests(rule)})::float8 AS bad${i}`)
      .join(', ')}
     FROM request_rollups_all WHERE grain = '${grain}' AND bucket >= $1 AND bucket < $2 ${filters} ${groupWithBucket}`;
  const minuteStarts = BURN_MINUTE_WINDOWS.map((m) => now.getTime() - m * MINUTE_MS);
  const hourStarts = BURN_HOUR_WINDOWS.map((m) => Math.floor((now.getTime() - m * MINUTE_MS) / HOUR_MS) * HOUR_MS);
  const [minutes, hours] = await Promise.all([
    recentBuckets(pool, 'minute', perBucket('minute'), new Date(Math.min(...minuteStarts)), now),
    recentBuckets(pool, 'hour', perBucket('hour'), new Date(Math.min(...hourStarts)), now),
  ]);
  const recent = windowSums(minutes, minuteStarts, seriesId, columns);
  // Every series with traffic in the three days is judged (the hour rows hold them all).
  const days = [...windowSums(hours, hourStarts, seriesId, columns)];
  return rules.map((rule, i) =>
    days.map(([id, { row, sums }]) => {
      const series = seriesOf(row);
      const minute = recent.get(id)?.sums;
      const windows = [
        ...BURN_MINUTE_WINDOWS.map((m, k) => ({
          minutes: m,
          bad: minute?.[k]![i + 1] ?? 0,
          total: minute?.[k]![0] ?? 0,
        })),
        ...BURN_HOUR_WINDOWS.map((m, k) => ({ minutes: m, bad: sums[k]![i + 1]!, total: sums[k]![0]! })),
      ];
      const verdict = burnRate(windows, rule.detector.objective, rule.min_volume);
      return { key: keyOf(rule, series), series, severity: verdict.severity ?? rule.severity, verdict };
    }),
  );
}

const isBudgetRule = (rule: MonitorRule): rule is BudgetRule =>
  rule.metric === 'server_error_rate' || rule.metric === 'slow_request_rate' || rule.metric === 'bad_answer_rate';

/**
 * Every rule's series at `now`, in the rules' order: burn-rate rules over the same series share
 * their scans, and the rest run side by side.
 */
export async function judgeRules(pool: Pool, rules: readonly MonitorRule[], now: Date): Promise<SeriesVerdict[][]> {
  const budgetGroups = new Map<string, BudgetRule[]>();
  for (const rule of rules)
    if (isBudgetRule(rule)) {
      const id = `${rule.by.join(',')}|${rule.include_synthetic}`;
      budgetGroups.set(id, [...(budgetGroups.get(id) ?? []), rule]);
    }
  const shared = new Map<BudgetRule, Promise<SeriesVerdict[]>>();
  for (const group of budgetGroups.values()) {
    const judged = errorBudgetBurns(pool, group, now);
    group.forEach((rule, i) =>
      shared.set(
        rule,
        judged.then((all) => all[i]!),
      ),
    );
  }
  return Promise.all(rules.map((rule) => (isBudgetRule(rule) ? shared.get(rule)! : judgeRule(pool, rule, now))));
}

/**
 * How far ahead a live pass reads baselines. Baselines move by the hour (each rule's at its own
 * minute) and reading 28 days of them takes seconds at 1,000 tenants; read ten minutes early, the
 * pass that needs one finds it cached and stays well under its minute.
 */
export const PREFETCH_AHEAD_MS = 10 * 60_000;

/**
 * Judge every rule at `at` (a time ahead) and keep nothing but what it read: the baselines it will
 * need then (cached per database), and the recent buckets (cached, re-read only where changed).
 */
export async function prefetchBaselines(pool: Pool, rules: readonly MonitorRule[], at: Date): Promise<void> {
  await judgeRules(pool, rules, at);
}

/** Every series of one rule, judged at `now`. */
export function judgeRule(pool: Pool, rule: MonitorRule, now: Date): Promise<SeriesVerdict[]> {
  switch (rule.metric) {
    case 'cost_usd':
      return costSpikes(pool, rule, now);
    case 'server_error_rate':
    case 'slow_request_rate':
    case 'bad_answer_rate':
      return errorBudgetBurns(pool, [rule], now).then(([verdicts]) => verdicts!);
    case 'guardrail_block_rate':
    case 'refusal_rate':
    case 'json_failure_rate':
    case 'negative_feedback_rate':
      return rateShifts(pool, rule, now);
    case 'output_length':
    case 'faithfulness':
    case 'cost_per_request':
      return meanShifts(pool, rule, now);
    case 'guardrail_latency_p99':
      return guardrailLatencySpikes(pool, rule, now);
    case 'latency_p99':
      return latencyShifts(pool, rule, now);
    case 'judge_score':
      return judgeScoreDrops(pool, rule, now);
    case 'guardrail_false_positive_rate':
      return falsePositiveRates(pool, rule, now);
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
  options: { now?: Date; webhook?: AlertWebhook; playbooks?: PlaybookSettings } = {},
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
    confirmations: [],
    incidents: [],
  };
  const judged = await judgeRules(pool, rules, now);
  const firings: Array<{ firing: Firing; cooldownMinutes: number; series: Record<string, string>; metric: string }> =
    [];
  const recovered: string[] = [];
  for (const [index, rule] of rules.entries()) {
    const verdicts = judged[index]!;
    summary.series += verdicts.length;
    for (const { key, series, verdict, severity, confirm } of verdicts) {
      if (confirm) summary.confirmations.push({ ruleId: rule.id, key, series, ...confirm });
      if (verdict.state === 'no_data') summary.noData += 1;
      else if (verdict.state === 'low_volume') summary.lowVolume += 1;
      else if (verdict.state === 'ok') recovered.push(key);
      else
        firings.push({
          firing: {
            key,
            ruleId: rule.id,
            severity,
            summary: verdict.reason,
            numbers: verdict.numbers,
            playbook: rule.playbook,
          },
          cooldownMinutes: rule.cooldown_minutes,
          series,
          metric: rule.metric,
        });
    }
  }
  // Playbooks not proven by a drill in 92 days (issue 15) are alerts like any other.
  for (const drill of drillFreshness(await drillHistory(pool), now))
    if (drill.firing) firings.push({ firing: drill.firing, cooldownMinutes: 24 * 60, series: {}, metric: 'drill_age' });
    else recovered.push(drill.key);
  const outcomes = await raiseAlerts(pool, firings);
  const raised: Firing[] = [];
  summary.firing = firings.length;
  for (const [i, { firing, series, metric }] of firings.entries()) {
    if (outcomes[i] === 'raised') {
      summary.raised += 1;
      raised.push(firing);
    }
    summary.alerts.push({ key: firing.key, outcome: outcomes[i]!, summary: firing.summary });
    const incident =
      outcomes[i] === 'raised' && options.playbooks && incidentFor(firing, series, options.playbooks, metric);
    if (incident) summary.incidents.push(incident);
  }
  summary.resolved = await resolveRecovered(pool, recovered);
  if (options.webhook && raised.length) {
    summary.notified = await notifyNewAlerts(options.webhook, raised);
    summary.notifyFailed = raised.length - summary.notified;
  }
  return summary;
}
