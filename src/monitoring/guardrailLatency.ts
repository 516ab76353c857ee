import type { Pool } from '../db/pool';
import { GUARD_BOUNDS_MS, GUARD_HIST_LENGTH, guardHistograms } from './guardrailHistogram';
import { addHistograms, histogramQuantile, type Histogram } from './histogram';
import type { MonitorRule } from './monitorRules';
import { p99Spike } from './latencyShifts';
import { recentBuckets } from './recentBuckets';
import { histogramSum } from './rollups';
import { cachedBaseline, keyOf, scope, type Row, type SeriesVerdict } from './ruleScope';

type GuardLatencyRule = MonitorRule & { metric: 'guardrail_latency_p99' };

/** The guardrails' histograms summed per series and rollup bucket over $1..$2. */
function histogramSql(rule: GuardLatencyRule, grain: 'minute' | 'hour'): string {
  const s = scope(rule);
  return `SELECT bucket, ${s.select} ${histogramSum('guardrail_hist', GUARD_HIST_LENGTH)} AS hist
    FROM request_rollups_all WHERE grain = '${grain}' AND bucket >= $1 AND bucket < $2 ${s.filters} ${s.groupWithBucket}`;
}

/** Histograms per series and guardrail (and per rollup bucket when `byBucket`), summed from rows of histogramSql. */
function histograms(rows: readonly Row[], seriesId: (row: Row) => string, byBucket: boolean) {
  const result = new Map<string, { row: Row; guard: string; histogram: Histogram }>();
  for (const row of rows)
    for (const [guard, own] of guardHistograms(row.hist as unknown as string[])) {
      const id = `${seriesId(row)}\u0002${guard}${byBucket ? `|${(row.bucket as unknown as Date).getTime()}` : ''}`;
      const entry = result.get(id);
      if (entry) entry.histogram = addHistograms(entry.histogram, own);
      else result.set(id, { row, guard, histogram: own });
    }
  return result;
}

// Each baseline's hourly p99s per series and guardrail, derived once per read (the rows are cached for the hour).
const hourlyP99s = new WeakMap<Row[], Map<string, number[]>>();

/**
 * The latency a guardrail adds: its p99 in the window against the p99s of the baseline's hours,
 * robustly (median and MAD), with a ratio and a floor in ms. A series per guardrail (and per the
 * rule's dimensions).
 */
export async function guardrailLatencySpikes(pool: Pool, rule: GuardLatencyRule, now: Date): Promise<SeriesVerdict[]> {
  const s = scope(rule);
  const { windowStart, baselineFrom, baselineUntil } = s.periods(now);
  const [current, baseline] = await Promise.all([
    recentBuckets(pool, 'minute', histogramSql(rule, 'minute'), windowStart, now),
    cachedBaseline(pool, histogramSql(rule, 'hour'), [baselineFrom, baselineUntil]),
  ]);
  let hours = hourlyP99s.get(baseline);
  if (!hours) {
    hours = new Map();
    for (const [id, { histogram }] of histograms(baseline, s.seriesId, true)) {
      const series = id.slice(0, id.lastIndexOf('|'));
      hours.set(series, [...(hours.get(series) ?? []), histogramQuantile(histogram, 0.99, GUARD_BOUNDS_MS)!]);
    }
    hourlyP99s.set(baseline, hours);
  }
  return [...histograms(current, s.seriesId, false)].map(([id, { row, guard, histogram }]) => {
    const series = { ...s.seriesOf(row), guardrail: guard };
    const runs = histogram.reduce((sum, count) => sum + count, 0);
    const p99 = histogramQuantile(histogram, 0.99, GUARD_BOUNDS_MS) ?? 0;
    return {
      key: keyOf(rule, series),
      series,
      severity: rule.severity,
      verdict: p99Spike(p99, runs, 'guardrail_runs', hours.get(id) ?? [], rule),
    };
  });
}
