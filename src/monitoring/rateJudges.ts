import type { Pool } from '../db/pool';
import { GUARDRAIL_IDS } from '../guardrails/guardrailIds';
import { rateAbove, rateShift, type Verdict } from './detectors';
import type { MonitorRule } from './monitorRules';
import { recentBuckets, windowSums } from './recentBuckets';
import { cachedBaseline, keyOf, scope, type Row, type SeriesVerdict } from './ruleScope';
import { firstFiring, windowStarts } from './stretchedWindows';

type RateRule = MonitorRule & {
  metric: 'guardrail_block_rate' | 'refusal_rate' | 'json_failure_rate' | 'negative_feedback_rate';
};
type Scope = ReturnType<typeof scope>;

/** The output guard whose flags a rate counts. */
const FLAGGED_BY = {
  refusal_rate: GUARDRAIL_IDS.outputRefusal,
  json_failure_rate: GUARDRAIL_IDS.outputJsonSchema,
} as const;

/**
 * The rate's counts per series over `windows` windows in one scan: the rows span $1 (the earliest
 * start) to $2 (now), and window k starts at $(3+k); columns hits{k} and total{k}.
 */
const perWindow = (windows: number, sum: (k: number, since: string) => string) =>
  Array.from({ length: windows }, (_, k) => sum(k, `$${3 + k}`)).join(', ');

/** Each guardrail's blocks per series: rows (d…, total{k}, guardrail, hits{k}); guardrail NULL where none blocked. */
function guardrailBlocksSql(s: Scope, rule: MonitorRule, windows: number): string {
  return `WITH scoped AS (
       SELECT ${s.select} bucket, requests, guardrail_decisions FROM request_rollups_all
       WHERE grain = 'hour' AND bucket >= $1 AND bucket < $2 ${s.filters}),
     totals AS (
       SELECT ${s.dims} ${perWindow(windows, (k, since) => `coalesce(sum(requests) FILTER (WHERE bucket >= ${since}), 0)::float8 AS total${k}`)}
       FROM scoped ${s.group}),
     blocks AS (
       SELECT ${s.dims} split_part(e.key, ':', 1) AS guardrail,
         ${perWindow(windows, (k, since) => `coalesce(sum(e.value::bigint) FILTER (WHERE bucket >= ${since}), 0)::float8 AS hits${k}`)}
       FROM scoped, jsonb_each_text(guardrail_decisions) e WHERE e.key LIKE '%:block'
       GROUP BY ${s.dims} guardrail)
     SELECT t.*, b.guardrail, ${perWindow(windows, (k) => `coalesce(b.hits${k}, 0) AS hits${k}`)} FROM totals t LEFT JOIN blocks b
       ON ${rule.by.map((_, i) => `b.d${i} = t.d${i}`).join(' AND ') || 'true'}`;
}

/**
 * What a rate counts per series and window: rows of (d…, guardrail, hits{k}, total{k}); from hour
 * rollups (the baselines; a rate's current windows come through recentCounts), or for negative
 * feedback from the feedback rows.
 */
function countsSql(rule: RateRule, s: Scope, windows: number): string {
  switch (rule.metric) {
    case 'guardrail_block_rate':
      return guardrailBlocksSql(s, rule, windows);
    case 'refusal_rate':
    case 'json_failure_rate': {
      // Per answer: refused calls and errors have no answer to judge.
      const flags = `coalesce((guardrail_decisions->>'${FLAGGED_BY[rule.metric]}:flag')::bigint, 0)`;
      return `SELECT ${s.select} '' AS guardrail, ${perWindow(
        windows,
        (k, since) => `coalesce(sum(${flags}) FILTER (WHERE bucket >= ${since}), 0)::float8 AS hits${k},
          coalesce(sum(requests - errors) FILTER (WHERE bucket >= ${since}), 0)::float8 AS total${k}`,
      )}
       FROM request_rollups_all WHERE grain = 'hour' AND bucket >= $1 AND bucket < $2 ${s.filters} ${s.group}`;
    }
    case 'negative_feedback_rate':
      // Per feedback given in the period, on requests of the week before it (which bounds the partitions read).
      return `SELECT ${s.selectRows} '' AS guardrail, ${perWindow(
        windows,
        (k, since) => `count(*) FILTER (WHERE f.score < 0 AND f.ts >= ${since})::float8 AS hits${k},
          count(*) FILTER (WHERE f.ts >= ${since})::float8 AS total${k}`,
      )}
       FROM feedback f JOIN requests r ON r.request_id = f.request_id AND r.tenant_id = f.tenant_id
       WHERE f.ts >= $1 AND f.ts < $2 AND r.ts >= $1::timestamptz - interval '7 days' AND r.ts < $2 ${s.filtersRows} ${s.group}`;
  }
}

/**
 * The current windows' counts of a rate kept in the rollups, per series (and guardrail), in the
 * shape of `countsSql`: read per minute through recentBuckets, so a pass reads only what changed.
 */
async function recentCounts(pool: Pool, rule: RateRule, s: Scope, starts: Date[], now: Date): Promise<Row[]> {
  const where = `FROM request_rollups_all WHERE grain = 'minute' AND bucket >= $1 AND bucket < $2 ${s.filters}`;
  const sql =
    rule.metric === 'guardrail_block_rate'
      ? `SELECT bucket, ${s.select} NULL::text AS guardrail, 0::float8 AS hits, sum(requests)::float8 AS total ${where} ${s.groupWithBucket}
         UNION ALL
         SELECT bucket, ${s.select} split_part(e.key, ':', 1) AS guardrail, sum(e.value::bigint)::float8, 0::float8
         ${where.replace('FROM request_rollups_all', 'FROM request_rollups_all, jsonb_each_text(guardrail_decisions) e')}
           AND e.key LIKE '%:block' ${s.groupWithBucket}, guardrail`
      : `SELECT bucket, ${s.select} '' AS guardrail,
           sum(coalesce((guardrail_decisions->>'${FLAGGED_BY[rule.metric as keyof typeof FLAGGED_BY]}:flag')::bigint, 0))::float8 AS hits,
           sum(requests - errors)::float8 AS total ${where} ${s.groupWithBucket}`;
  const rows = await recentBuckets(pool, 'minute', sql, starts[starts.length - 1]!, now);
  const windowStartsMs = starts.map((start) => start.getTime());
  const totals = windowSums(
    rows.filter((row) => row.guardrail !== null),
    windowStartsMs,
    s.seriesId,
    ['hits', 'total'],
  );
  if (rule.metric !== 'guardrail_block_rate')
    return [...totals.values()].map(({ row, sums }) =>
      countsRow(
        row,
        sums.map(([hits, total]) => [hits!, total!]),
      ),
    );
  const requests = windowSums(
    rows.filter((row) => row.guardrail === null),
    windowStartsMs,
    s.seriesId,
    ['total'],
  );
  return [...totals.values()].map(({ row, sums }) => {
    const all = requests.get(s.seriesId(row))?.sums;
    return countsRow(
      row,
      sums.map(([hits], k) => [hits!, all?.[k]![0] ?? 0]),
    );
  });
}

/** A row of (d…, guardrail, hits{k}, total{k}) from per-window [hits, total]. */
function countsRow(row: Row, windows: Array<[number, number]>): Row {
  const counts: Row = {};
  for (const [key, value] of Object.entries(row)) if (/^d\d+$/.test(key) || key === 'guardrail') counts[key] = value;
  windows.forEach(([hits, total], k) => {
    counts[`hits${k}`] = hits;
    counts[`total${k}`] = total;
  });
  return counts;
}

/**
 * A rate per series (and per guardrail, for blocks) against the same rate over the baseline, with
 * binomial intervals: guardrail blocks per request, refusals and JSON failures per answer,
 * negative feedback per feedback.
 */
export async function rateShifts(pool: Pool, rule: RateRule, now: Date): Promise<SeriesVerdict[]> {
  const s = scope(rule);
  const { baselineFrom, baselineUntil } = s.periods(now);
  const starts = windowStarts(rule, now);
  const [current, baseline] = await Promise.all([
    rule.metric === 'negative_feedback_rate'
      ? pool
          .query<Row>(countsSql(rule, s, starts.length), [starts[starts.length - 1]!, now, ...starts])
          .then((result) => result.rows)
      : recentCounts(pool, rule, s, starts, now),
    cachedBaseline(pool, countsSql(rule, s, 1), [baselineFrom, baselineUntil, baselineFrom]),
  ]);
  const idOf = (row: Row) => `${s.seriesId(row)}|${row.guardrail}`;
  const before = new Map(baseline.map((row) => [idOf(row), row]));
  const totalsBefore = new Map(baseline.map((row) => [s.seriesId(row), Number(row.total0)]));
  // Each series judged over each window, shortest first.
  const judged = new Map<string, { series: Record<string, string>; verdicts: Verdict[] }>();
  for (const row of current) {
    if (row.guardrail === null) continue; // nothing blocked now: no shift upwards to judge
    const series = row.guardrail ? { ...s.seriesOf(row), guardrail: String(row.guardrail) } : s.seriesOf(row);
    const then = {
      hits: Number(before.get(idOf(row))?.hits0 ?? 0),
      total: totalsBefore.get(s.seriesId(row)) ?? 0,
    };
    judged.set(idOf(row), {
      series,
      verdicts: starts.map((_, k) =>
        rateShift(
          { hits: Number(row[`hits${k}`]), total: Number(row[`total${k}`]) },
          then,
          rule.detector.ratio,
          rule.min_volume,
        ),
      ),
    });
  }
  return [...judged.values()].map(({ series, verdicts }) => ({
    key: keyOf(rule, series),
    series,
    severity: rule.severity,
    verdict: firstFiring(verdicts),
  }));
}

/**
 * Each guardrail's blocks in the window that tenants appealed as wrong, per block: a false-positive
 * rate over an absolute bound.
 */
export async function falsePositiveRates(
  pool: Pool,
  rule: MonitorRule & { metric: 'guardrail_false_positive_rate' },
  now: Date,
): Promise<SeriesVerdict[]> {
  const s = scope(rule);
  const { windowStart } = s.periods(now);
  const [blockRows, appeals] = await Promise.all([
    recentBuckets(
      pool,
      'minute',
      `SELECT bucket, ${s.select} split_part(e.key, ':', 1) AS guardrail, sum(e.value::bigint)::float8 AS total
       FROM request_rollups_all, jsonb_each_text(guardrail_decisions) e
       WHERE grain = 'minute' AND bucket >= $1 AND bucket < $2 ${s.filters} AND e.key LIKE '%:block'
       ${s.groupWithBucket}, guardrail`,
      windowStart,
      now,
    ),
    pool.query<Row>(
      `SELECT ${s.selectRows} a.guardrail, count(*)::float8 AS hits
       FROM guardrail_appeals a JOIN requests r ON r.request_id = a.request_id AND r.ts = a.request_ts
       WHERE a.request_ts >= $1 AND a.request_ts < $2 ${s.filtersRows}
       GROUP BY ${s.dims} a.guardrail`,
      [windowStart, now],
    ),
  ]);
  const idOf = (row: Row) => `${s.seriesId(row)}|${row.guardrail}`;
  const appealed = new Map(appeals.rows.map((row) => [idOf(row), Number(row.hits)]));
  return [...windowSums(blockRows, [windowStart.getTime()], idOf, ['total'])].map(([id, { row, sums }]) => {
    const series = { ...s.seriesOf(row), guardrail: String(row.guardrail) };
    return {
      key: keyOf(rule, series),
      series,
      severity: rule.severity,
      verdict: rateAbove({ hits: appealed.get(id) ?? 0, total: sums[0]![0]! }, rule.detector.max_rate, rule.min_volume),
    };
  });
}
