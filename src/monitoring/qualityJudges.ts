import type { Pool } from '../db/pool';
import { lowVolume, meanDrop, robustShift, type Verdict } from './detectors';
import type { MonitorRule } from './monitorRules';
import { recentBuckets, windowSums } from './recentBuckets';
import { answersToConfirm } from './confirmationSampling';
import { cachedBaseline, keyOf, scope, type Row, type SeriesVerdict } from './ruleScope';
import { firstFiring, windowStarts } from './stretchedWindows';

/** What a mean-per-request rule averages, over which requests, and which way a change matters. */
const MEANS = {
  // Answers that suddenly get shorter (or longer) after a silent model update.
  output_length: { sum: 'output_chars', count: 'requests - errors', unit: 'answers', direction: 'either' },
  // Answers that stop using the context they were given.
  faithfulness: { sum: 'faithfulness_sum', count: 'grounded_answers', unit: 'grounded_answers', direction: 'down' },
  // Requests that suddenly cost several times more (a bloated context, a pricier model): seen in a
  // few calls, where a tenant's spend needs half an hour to tell a spike from its usual bunching.
  cost_per_request: { sum: 'cost_usd', count: 'requests', unit: 'requests', direction: 'up' },
} as const;

/**
 * A mean per request in the window (and, for a quiet series, in the stretched windows) against the
 * baseline's hourly means (median and MAD).
 */
export async function meanShifts(
  pool: Pool,
  rule: MonitorRule & { metric: keyof typeof MEANS },
  now: Date,
): Promise<SeriesVerdict[]> {
  const s = scope(rule);
  const { sum, count, unit, direction } = MEANS[rule.metric];
  const { baselineFrom, baselineUntil } = s.periods(now);
  const starts = windowStarts(rule, now);
  const current = await recentBuckets(
    pool,
    'minute',
    `SELECT bucket, ${s.select} sum(${sum})::float8 AS total, sum(${count})::float8 AS n
     FROM request_rollups_all WHERE grain = 'minute' AND bucket >= $1 AND bucket < $2 ${s.filters} ${s.groupWithBucket}`,
    starts[starts.length - 1]!,
    now,
  );
  const baseline = await cachedBaseline(
    pool,
    `SELECT ${s.dims} array_agg(total / n) AS hours FROM (
       SELECT ${s.select} bucket, sum(${sum})::float8 AS total, sum(${count})::float8 AS n
       FROM request_rollups_all WHERE grain = 'hour' AND bucket >= $1 AND bucket < $2 ${s.filters}
       GROUP BY ${s.dims} bucket HAVING sum(${count}) > 0) h ${s.group}`,
    [baselineFrom, baselineUntil],
  );
  const hours = new Map(baseline.map((row) => [s.seriesId(row), row.hours as unknown as number[]]));
  const windows = windowSums(
    current,
    starts.map((start) => start.getTime()),
    s.seriesId,
    ['total', 'n'],
  );
  const { change, sigmas, min_baseline: minBaseline } = rule.detector;
  const judge = (total: number, n: number, hourly: readonly number[]): Verdict => {
    if (n < rule.min_volume) return lowVolume(n, rule.min_volume, unit);
    const verdict = robustShift(n ? total / n : 0, hourly, { change, sigmas, minBaseline });
    const sign = Math.sign(Number(verdict.numbers.change));
    const wrongWay = (direction === 'down' && sign > 0) || (direction === 'up' && sign < 0);
    return verdict.state === 'fire' && wrongWay ? { state: 'ok', numbers: verdict.numbers } : verdict;
  };
  return [...windows.values()].map(({ row, sums }) => {
    const series = s.seriesOf(row);
    const hourly = hours.get(s.seriesId(row)) ?? [];
    const verdict = firstFiring(sums.map(([total, n]) => judge(total!, n!, hourly)));
    return { key: keyOf(rule, series), series, severity: rule.severity, verdict };
  });
}

/**
 * Judge scores of the sampled production answers in the window against the baseline's (a mean drop).
 * The windows count confirmation samples too (see confirmationSampling.ts); the baseline only the
 * share, whose answers are spread evenly over its weeks.
 */
export async function judgeScoreDrops(
  pool: Pool,
  rule: MonitorRule & { metric: 'judge_score' },
  now: Date,
): Promise<SeriesVerdict[]> {
  const s = scope(rule);
  const { baselineFrom, baselineUntil } = s.periods(now);
  const statsSql = (sources: string) => `SELECT ${s.selectRows} count(*)::float8 AS n, avg(j.score)::float8 AS mean,
      coalesce(stddev_samp(j.score), 0)::float8 AS sd
    FROM judge_samples j JOIN requests r ON r.request_id = j.request_id AND r.ts = j.request_ts
    WHERE j.source IN (${sources}) AND j.request_ts >= $1 AND j.request_ts < $2 ${s.filtersRows} ${s.group}`;
  const starts = windowStarts(rule, now);
  const [windows, baseline] = await Promise.all([
    Promise.all(
      starts.map((start) =>
        pool.query<Row>(statsSql("'production', 'confirmation'"), [start, now]).then((result) => result.rows),
      ),
    ),
    cachedBaseline(pool, statsSql("'production'"), [baselineFrom, baselineUntil]),
  ]);
  const before = new Map(baseline.map((row) => [s.seriesId(row), row]));
  const stats = (row: Row | undefined) => ({
    n: Number(row?.n ?? 0),
    mean: Number(row?.mean ?? 0),
    sd: Number(row?.sd ?? 0),
  });
  const { drop, z, min_samples: minSamples, suspect_z: suspectZ } = rule.detector;
  // Each prompt's verdict per window length, shortest first (the longest window holds every series).
  const judged = new Map<string, { series: Record<string, string>; verdicts: Verdict[]; confirm: number }>();
  for (const [index, rows] of windows.entries())
    for (const row of rows) {
      const id = s.seriesId(row);
      const entry = judged.get(id) ?? { series: s.seriesOf(row), verdicts: [], confirm: 0 };
      judged.set(id, entry);
      entry.verdicts.push(meanDrop(stats(row), stats(before.get(id)), { drop, z, minSamples }));
      if (index === 0) entry.confirm = answersToConfirm(stats(row), stats(before.get(id)), { suspectZ, minSamples });
    }
  return [...judged.values()].map(({ series, verdicts, confirm }) => ({
    key: keyOf(rule, series),
    series,
    severity: rule.severity,
    verdict: firstFiring(verdicts),
    ...(confirm && {
      confirm: { answers: confirm, from: starts[starts.length - 1]!.toISOString(), until: now.toISOString() },
    }),
  }));
}
