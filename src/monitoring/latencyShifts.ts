import type { Pool } from '../db/pool';
import { lowVolume, robustSpike, type Verdict } from './detectors';
import { addHistograms, emptyHistogram, histogramQuantile, type Histogram } from './histogram';
import { recentBuckets } from './recentBuckets';
import { histogramSum } from './rollups';
import type { MonitorRule } from './monitorRules';
import { cachedBaseline, keyOf, scope, type Row, type SeriesVerdict } from './ruleScope';

type LatencyRule = MonitorRule & { metric: 'latency_p99' };

/** Each series' hourly p99s, derived once per baseline read (the rows are cached for the hour). */
const hourlyP99s = new WeakMap<Row[], Map<string, number[]>>();

/** Histograms summed per series and bucket over $1..$2, as arrays of counts. */
function histogramSql(rule: LatencyRule, grain: 'minute' | 'hour'): string {
  const s = scope(rule);
  const column = rule.detector.of === 'ttft' ? 'ttft_hist' : 'latency_hist';
  return `SELECT bucket, ${s.select} sum(requests)::float8 AS requests, ${histogramSum(column)} AS hist
    FROM request_rollups_all WHERE grain = '${grain}' AND bucket >= $1 AND bucket < $2 ${s.filters} ${s.groupWithBucket}`;
}

/**
 * A model (or any series) getting slower without breaking its objective: the window's p99 against
 * the p99s of the baseline's hours, robustly (median and MAD), with a ratio and a floor in ms.
 */
export async function latencyShifts(pool: Pool, rule: LatencyRule, now: Date): Promise<SeriesVerdict[]> {
  const s = scope(rule);
  const { windowStart, baselineFrom, baselineUntil } = s.periods(now);
  const [current, baseline] = await Promise.all([
    recentBuckets(pool, 'minute', histogramSql(rule, 'minute'), windowStart, now),
    cachedBaseline(pool, histogramSql(rule, 'hour'), [baselineFrom, baselineUntil]),
  ]);
  let hours = hourlyP99s.get(baseline);
  if (!hours) {
    hours = new Map();
    for (const row of baseline) {
      const p99 = histogramQuantile((row.hist as unknown as number[]).map(Number), 0.99);
      if (p99 === undefined) continue;
      const id = s.seriesId(row);
      hours.set(id, [...(hours.get(id) ?? []), p99]);
    }
    hourlyP99s.set(baseline, hours);
  }
  const windows = new Map<string, { series: Record<string, string>; requests: number; histogram: Histogram }>();
  for (const row of current) {
    const id = s.seriesId(row);
    let window = windows.get(id);
    if (!window) windows.set(id, (window = { series: s.seriesOf(row), requests: 0, histogram: emptyHistogram() }));
    window.requests += Number(row.requests);
    window.histogram = addHistograms(window.histogram, (row.hist as unknown as string[]).map(Number));
  }
  return [...windows].map(([id, { series, requests, histogram }]) => ({
    key: keyOf(rule, series),
    series,
    severity: rule.severity,
    verdict: p99Spike(histogramQuantile(histogram, 0.99) ?? 0, requests, 'requests', hours.get(id) ?? [], rule),
  }));
}

/** A window's p99 against the p99s of the baseline's hours; "low volume" under the rule's minimum. */
export function p99Spike(
  p99: number,
  volume: number,
  unit: Parameters<typeof lowVolume>[2],
  hourlyP99s: readonly number[],
  rule: Pick<MonitorRule & { metric: 'latency_p99' | 'guardrail_latency_p99' }, 'min_volume' | 'detector'>,
): Verdict {
  if (volume < rule.min_volume) return lowVolume(volume, rule.min_volume, unit);
  return robustSpike(p99, hourlyP99s, {
    sigmas: rule.detector.sigmas,
    ratio: rule.detector.ratio,
    floor: rule.detector.floor_ms,
    minBaseline: rule.detector.min_baseline,
  });
}
