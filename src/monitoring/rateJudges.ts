import type { Pool } from '../db/pool';
import { GUARDRAIL_IDS } from '../guardrails/guardrailIds';
import { rateAbove, rateShift, type Verdict } from './detectors';
import type { MonitorRule } from './monitorRules';
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

/** Each guardrail's blocks in $1..$2 per series: rows (d…, total, guardrail, hits); guardrail NULL where none blocked. */
function guardrailBlocksSql(s: Scope, grain: 'minute' | 'hour', rule: MonitorRule): string {
  return `WITH scoped AS (
       SELECT ${s.select} requests, guardrail_decisions FROM request_rollups_all
       WHERE grain = '${grain}' AND bucket >= $1 AND bucket < $2 ${s.synthetic}),
     totals AS (SELECT ${s.dims} sum(requests)::float8 AS total FROM scoped ${s.group}),
     blocks AS (
       SELECT ${s.dims} split_part(e.key, ':', 1) AS guardrail, sum(e.value::bigint)::float8 AS hits
       FROM scoped, jsonb_each_text(guardrail_decisions) e WHERE e.key LIKE '%:block'
       GROUP BY ${s.dims} guardrail)
     SELECT t.*, b.guardrail, coalesce(b.hits, 0) AS hits FROM totals t LEFT JOIN blocks b
       ON ${rule.by.map((_, i) => `b.d${i} = t.d${i}`).join(' AND ') || 'true'}`;
}

/** What a rate counts in $1..$2 per series: rows of (d…, hits, total, guardrail). */
function countsSql(rule: RateRule, s: Scope, grain: 'minute' | 'hour'): string {
  switch (rule.metric) {
    case 'guardrail_block_rate':
      return guardrailBlocksSql(s, grain, rule);
    case 'refusal_rate':
    case 'json_failure_rate':
      // Per answer: refused calls and errors have no answer to judge.
      return `SELECT ${s.select} '' AS guardrail,
         sum(coalesce((guardrail_decisions->>'${FLAGGED_BY[rule.metric]}:flag')::bigint, 0))::float8 AS hits,
         sum(requests - errors)::float8 AS total
       FROM request_rollups_all WHERE grain = '${grain}' AND bucket >= $1 AND bucket < $2 ${s.synthetic} ${s.group}`;
    case 'negative_feedback_rate':
      // Per feedback given in the period, on requests of the week before it (which bounds the partitions read).
      return `SELECT ${s.selectRows} '' AS guardrail, count(*) FILTER (WHERE f.score < 0)::float8 AS hits, count(*)::float8 AS total
       FROM feedback f JOIN requests r ON r.request_id = f.request_id AND r.tenant_id = f.tenant_id
       WHERE f.ts >= $1 AND f.ts < $2 AND r.ts >= $1::timestamptz - interval '7 days' AND r.ts < $2 ${s.syntheticRows} ${s.group}`;
  }
}

/**
 * A rate per series (and per guardrail, for blocks) against the same rate over the baseline, with
 * binomial intervals: guardrail blocks per request, refusals and JSON failures per answer,
 * negative feedback per feedback.
 */
export async function rateShifts(pool: Pool, rule: RateRule, now: Date): Promise<SeriesVerdict[]> {
  const s = scope(rule);
  const { baselineFrom, baselineUntil } = s.periods(now);
  const [windows, baseline] = await Promise.all([
    Promise.all(
      windowStarts(rule, now).map((start) =>
        pool.query<Row>(countsSql(rule, s, 'minute'), [start, now]).then((result) => result.rows),
      ),
    ),
    cachedBaseline(pool, countsSql(rule, s, 'hour'), [baselineFrom, baselineUntil]),
  ]);
  const idOf = (row: Row) => `${JSON.stringify(s.seriesOf(row))}|${row.guardrail}`;
  const before = new Map(baseline.map((row) => [idOf(row), row]));
  const totalsBefore = new Map(baseline.map((row) => [JSON.stringify(s.seriesOf(row)), Number(row.total)]));
  // Each series' verdict per window length, shortest first.
  const judged = new Map<string, { series: Record<string, string>; verdicts: Verdict[] }>();
  for (const rows of windows)
    for (const row of rows) {
      if (row.guardrail === null) continue; // nothing blocked now: no shift upwards to judge
      const series = row.guardrail ? { ...s.seriesOf(row), guardrail: String(row.guardrail) } : s.seriesOf(row);
      const entry = judged.get(idOf(row)) ?? { series, verdicts: [] };
      entry.verdicts.push(
        rateShift(
          { hits: Number(row.hits), total: Number(row.total) },
          {
            hits: Number(before.get(idOf(row))?.hits ?? 0),
            total: totalsBefore.get(JSON.stringify(s.seriesOf(row))) ?? 0,
          },
          rule.detector.ratio,
          rule.min_volume,
        ),
      );
      judged.set(idOf(row), entry);
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
  const on = (a: string, b: string) =>
    [...rule.by.map((_, i) => `${a}.d${i} = ${b}.d${i}`), `${a}.guardrail = ${b}.guardrail`].join(' AND ');
  const { rows } = await pool.query<Row>(
    `WITH blocks AS (
       SELECT ${s.dims} split_part(e.key, ':', 1) AS guardrail, sum(e.value::bigint)::float8 AS total
       FROM (SELECT ${s.select} guardrail_decisions FROM request_rollups_all
             WHERE grain = 'minute' AND bucket >= $1 AND bucket < $2 ${s.synthetic}) scoped,
            jsonb_each_text(guardrail_decisions) e
       WHERE e.key LIKE '%:block' GROUP BY ${s.dims} guardrail),
     appeals AS (
       SELECT ${s.selectRows} a.guardrail, count(*)::float8 AS hits
       FROM guardrail_appeals a JOIN requests r ON r.request_id = a.request_id AND r.ts = a.request_ts
       WHERE a.request_ts >= $1 AND a.request_ts < $2 ${s.syntheticRows}
       GROUP BY ${s.dims} a.guardrail)
     SELECT b.*, coalesce(a.hits, 0) AS hits FROM blocks b LEFT JOIN appeals a ON ${on('a', 'b')}`,
    [windowStart, now],
  );
  return rows.map((row) => {
    const series = { ...s.seriesOf(row), guardrail: String(row.guardrail) };
    return {
      key: keyOf(rule, series),
      series,
      severity: rule.severity,
      verdict: rateAbove({ hits: Number(row.hits), total: Number(row.total) }, rule.detector.max_rate, rule.min_volume),
    };
  });
}
