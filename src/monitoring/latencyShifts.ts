import type { Pool } from '../db/pool';
import { lowVolume, robustSpike } from './detectors';
import { histogramQuantile } from './histogram';
import type { MonitorRule } from './monitorRules';
import { cachedBaseline, keyOf, scope, type Row, type SeriesVerdict } from './ruleScope';

type LatencyRule = MonitorRule & { metric: 'latency_p99' };

/** Each series' hourly p99s, derived once per baseline read (the rows are cached for the hour). */
const hourlyP99s = new WeakMap<Row[], Map<string, number[]>>();

/** Histograms summed per series (and per hour bucket for the baseline) over $1..$2, as arrays of counts. */
function histogramSql(rule: LatencyRule, grain: 'minute' | 'hour'): string {
  const s = scope(rule);
  const column = rule.detector.of === 'ttft' ? 'ttft_hist' : 'latency_hist';
  const keys = [...rule.by.map((_, i) => `d${i}`), ...(grain === 'hour' ? ['bucket'] : [])];
  const keyList = keys.map((k) => `${k}, `).join('');
  // Each rollup row unnests into one row per bucket: its requests are counted on the first only.
  return `SELECT ${keyList} sum(requests)::float8 AS requests, array_agg(total ORDER BY i) AS hist FROM (
      SELECT ${s.select} ${grain === 'hour' ? 'bucket, ' : ''} i, sum(h)::float8 AS total,
        coalesce(sum(requests) FILTER (WHERE i = 1), 0)::float8 AS requests
      FROM request_rollups_all r, unnest(r.${column}) WITH ORDINALITY u(h, i)
      WHERE grain = '${grain}' AND bucket >= $1 AND bucket < $2 ${s.synthetic}
      GROUP BY ${keyList} i) x
    ${keys.length ? `GROUP BY ${keys.join(', ')}` : ''}`;
}

/**
 * A model (or any series) getting slower without breaking its objective: the window's p99 against
 * the p99s of the baseline's hours, robustly (median and MAD), with a ratio and a floor in ms.
 */
export async function latencyShifts(pool: Pool, rule: LatencyRule, now: Date): Promise<SeriesVerdict[]> {
  const s = scope(rule);
  const { windowStart, baselineFrom, baselineUntil } = s.periods(now);
  const [current, baseline] = await Promise.all([
    pool.query<Row>(histogramSql(rule, 'minute'), [windowStart, now]).then((result) => result.rows),
    cachedBaseline(pool, histogramSql(rule, 'hour'), [baselineFrom, baselineUntil]),
  ]);
  let hours = hourlyP99s.get(baseline);
  if (!hours) {
    hours = new Map();
    for (const row of baseline) {
      const p99 = histogramQuantile((row.hist as unknown as number[]).map(Number), 0.99);
      if (p99 === undefined) continue;
      const id = JSON.stringify(s.seriesOf(row));
      hours.set(id, [...(hours.get(id) ?? []), p99]);
    }
    hourlyP99s.set(baseline, hours);
  }
  return current.map((row) => {
    const series = s.seriesOf(row);
    const requests = Number(row.requests);
    const p99 = histogramQuantile((row.hist as unknown as number[]).map(Number), 0.99) ?? 0;
    return {
      key: keyOf(rule, series),
      series,
      severity: rule.severity,
      verdict:
        requests < rule.min_volume
          ? lowVolume(requests, rule.min_volume, 'requests')
          : robustSpike(p99, hours.get(JSON.stringify(series)) ?? [], {
              sigmas: rule.detector.sigmas,
              ratio: rule.detector.ratio,
              floor: rule.detector.floor_ms,
              minBaseline: rule.detector.min_baseline,
            }),
    };
  });
}
