import type { Pool } from '../db/pool';
import { lowVolume, meanDrop, robustShift, type Verdict } from './detectors';
import type { MonitorRule } from './monitorRules';
import { recentBuckets, windowSums } from './recentBuckets';
import { cachedBaseline, keyOf, scope, type Row, type SeriesVerdict } from './ruleScope';
import { firstFiring, windowStarts } from './stretchedWindows';

/**
 * Mean characters per answer in the window against the hourly means of the baseline, either way:
 * answers that suddenly get shorter (or longer) after a silent model update.
 */
export async function outputLengthShifts(
  pool: Pool,
  rule: MonitorRule & { metric: 'output_length' },
  now: Date,
): Promise<SeriesVerdict[]> {
  const s = scope(rule);
  const { windowStart, baselineFrom, baselineUntil } = s.periods(now);
  const current = await recentBuckets(
    pool,
    'minute',
    `SELECT bucket, ${s.select} sum(output_chars)::float8 AS chars, sum(requests - errors)::float8 AS answers
     FROM request_rollups_all WHERE grain = 'minute' AND bucket >= $1 AND bucket < $2 ${s.filters} ${s.groupWithBucket}`,
    windowStart,
    now,
  );
  const baseline = await cachedBaseline(
    pool,
    `SELECT ${s.dims} array_agg(chars / answers) AS hours FROM (
       SELECT ${s.select} bucket, sum(output_chars)::float8 AS chars, sum(requests - errors)::float8 AS answers
       FROM request_rollups_all WHERE grain = 'hour' AND bucket >= $1 AND bucket < $2 ${s.filters}
       GROUP BY ${s.dims} bucket HAVING sum(requests - errors) > 0) h ${s.group}`,
    [baselineFrom, baselineUntil],
  );
  const hours = new Map(baseline.map((row) => [s.seriesId(row), row.hours as unknown as number[]]));
  const windows = windowSums(current, [windowStart.getTime()], s.seriesId, ['chars', 'answers']);
  return [...windows.values()].map(({ row, sums }) => {
    const series = s.seriesOf(row);
    const [chars, answers] = sums[0]! as [number, number];
    const mean = answers ? chars / answers : 0;
    return {
      key: keyOf(rule, series),
      series,
      severity: rule.severity,
      verdict:
        answers < rule.min_volume
          ? lowVolume(answers, rule.min_volume, 'answers')
          : robustShift(mean, hours.get(s.seriesId(row)) ?? [], {
              change: rule.detector.change,
              sigmas: rule.detector.sigmas,
              minBaseline: rule.detector.min_baseline,
            }),
    };
  });
}

/** Judge scores of the sampled production answers in the window against the baseline's (a mean drop). */
export async function judgeScoreDrops(
  pool: Pool,
  rule: MonitorRule & { metric: 'judge_score' },
  now: Date,
): Promise<SeriesVerdict[]> {
  const s = scope(rule);
  const { baselineFrom, baselineUntil } = s.periods(now);
  const statsSql = `SELECT ${s.selectRows} count(*)::float8 AS n, avg(j.score)::float8 AS mean,
      coalesce(stddev_samp(j.score), 0)::float8 AS sd
    FROM judge_samples j JOIN requests r ON r.request_id = j.request_id AND r.ts = j.request_ts
    WHERE j.source = 'production' AND j.request_ts >= $1 AND j.request_ts < $2 ${s.filtersRows} ${s.group}`;
  const [windows, baseline] = await Promise.all([
    Promise.all(
      windowStarts(rule, now).map((start) => pool.query<Row>(statsSql, [start, now]).then((result) => result.rows)),
    ),
    cachedBaseline(pool, statsSql, [baselineFrom, baselineUntil]),
  ]);
  const before = new Map(baseline.map((row) => [s.seriesId(row), row]));
  const stats = (row: Row | undefined) => ({
    n: Number(row?.n ?? 0),
    mean: Number(row?.mean ?? 0),
    sd: Number(row?.sd ?? 0),
  });
  // Each prompt's verdict per window length, shortest first (the longest window holds every series).
  const judged = new Map<string, { series: Record<string, string>; verdicts: Verdict[] }>();
  for (const rows of windows)
    for (const row of rows) {
      const id = s.seriesId(row);
      const entry = judged.get(id) ?? { series: s.seriesOf(row), verdicts: [] };
      judged.set(id, entry);
      entry.verdicts.push(
        meanDrop(stats(row), stats(before.get(id)), {
          drop: rule.detector.drop,
          z: rule.detector.z,
          minSamples: rule.detector.min_samples,
        }),
      );
    }
  return [...judged.values()].map(({ series, verdicts }) => {
    return { key: keyOf(rule, series), series, severity: rule.severity, verdict: firstFiring(verdicts) };
  });
}
