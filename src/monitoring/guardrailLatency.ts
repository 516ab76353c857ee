import type { Pool } from '../db/pool';
import { lowVolume, robustSpike } from './detectors';
import { GUARD_BOUNDS_MS, histogramQuantile, type Histogram } from './histogram';
import type { MonitorRule } from './monitorRules';
import { recentBuckets } from './recentBuckets';
import { cachedBaseline, keyOf, scope, type Row, type SeriesVerdict } from './ruleScope';

type GuardLatencyRule = MonitorRule & { metric: 'guardrail_latency_p99' };

/** Each guardrail's latency counts per series, histogram bucket (i) and rollup bucket over $1..$2. */
function countsSql(rule: GuardLatencyRule, grain: 'minute' | 'hour'): string {
  const s = scope(rule);
  return `SELECT bucket, ${s.select} split_part(e.key, '#', 1) AS guardrail, split_part(e.key, '#', 2)::int AS i,
      sum(e.value::bigint)::float8 AS n
    FROM request_rollups_all, jsonb_each_text(guardrail_latency) e
    WHERE grain = '${grain}' AND bucket >= $1 AND bucket < $2 ${s.filters} ${s.groupWithBucket}, guardrail, i`;
}

/** Histograms per series and guardrail (and per hour when `byHour`), from rows of countsSql. */
function histograms(rows: readonly Row[], idOf: (row: Row) => string, byHour: boolean): Map<string, Histogram> {
  const result = new Map<string, Histogram>();
  for (const row of rows) {
    const id = byHour ? `${idOf(row)}|${(row.bucket as unknown as Date).getTime()}` : idOf(row);
    let histogram = result.get(id);
    if (!histogram) result.set(id, (histogram = new Array<number>(GUARD_BOUNDS_MS.length + 1).fill(0)));
    histogram[Number(row.i)]! += Number(row.n);
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
  const idOf = (row: Row) => `${s.seriesId(row)}\u0002${row.guardrail}`;
  const [current, baseline] = await Promise.all([
    recentBuckets(pool, 'minute', countsSql(rule, 'minute'), windowStart, now),
    cachedBaseline(pool, countsSql(rule, 'hour'), [baselineFrom, baselineUntil]),
  ]);
  let hours = hourlyP99s.get(baseline);
  if (!hours) {
    hours = new Map();
    for (const [id, histogram] of histograms(baseline, idOf, true)) {
      const series = id.slice(0, id.lastIndexOf('|'));
      hours.set(series, [...(hours.get(series) ?? []), histogramQuantile(histogram, 0.99, GUARD_BOUNDS_MS)!]);
    }
    hourlyP99s.set(baseline, hours);
  }
  const firstRows = new Map(current.map((row) => [idOf(row), row]));
  return [...histograms(current, idOf, false)].map(([id, histogram]) => {
    const row = firstRows.get(id)!;
    const series = { ...s.seriesOf(row), guardrail: String(row.guardrail) };
    const runs = histogram.reduce((sum, count) => sum + count, 0);
    const p99 = histogramQuantile(histogram, 0.99, GUARD_BOUNDS_MS) ?? 0;
    return {
      key: keyOf(rule, series),
      series,
      severity: rule.severity,
      verdict:
        runs < rule.min_volume
          ? lowVolume(runs, rule.min_volume, 'guardrail_runs')
          : robustSpike(p99, hours.get(id) ?? [], {
              sigmas: rule.detector.sigmas,
              ratio: rule.detector.ratio,
              floor: rule.detector.floor_ms,
              minBaseline: rule.detector.min_baseline,
            }),
    };
  });
}
