import { withTransaction, type Pool } from '../db/pool';
import type { RequestRecord } from '../telemetry/requestRecord';
import { contextBucketOf } from './contextBuckets';
import { countGuardRun, emptyGuardHistogram, GUARD_HIST_LENGTH } from './guardrailHistogram';
import { bucketOf, emptyHistogram, HISTOGRAM_BUCKETS, type Histogram } from './histogram';

export const GRAINS = ['minute', 'hour', 'day'] as const;
export type Grain = (typeof GRAINS)[number];

const GRAIN_MS: Record<Grain, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** The dimensions a rollup is kept by; an absent one is '' (they are key columns). */
export const ROLLUP_DIMENSIONS = [
  'tenant_id',
  'feature',
  'prompt_name',
  'prompt_version',
  'variant',
  'model',
  'provider',
  'context',
] as const;

/** One row of request_rollups, as the migration defines it. */
export interface RollupRow {
  grain: Grain;
  bucket: string;
  tenant_id: string;
  feature: string;
  prompt_name: string;
  prompt_version: string;
  variant: string;
  model: string;
  provider: string;
  /** The input's context-length bucket (contextBuckets.ts). */
  context: string;
  synthetic: boolean;
  requests: number;
  errors: number;
  server_errors: number;
  errors_by_class: Record<string, number>;
  input_tokens: number;
  cached_tokens: number;
  output_tokens: number;
  cost_usd: number;
  cache_hits: number;
  guardrail_decisions: Record<string, number>;
  output_chars: number;
  latency_hist: Histogram;
  ttft_hist: Histogram;
  /** Each built-in guardrail's time, as histograms one after the other (guardrailHistogram.ts). */
  guardrail_hist: Histogram;
  /** Answers whose request carried retrieved context, and the sum of their faithfulness proxy. */
  grounded_answers: number;
  faithfulness_sum: number;
}

/** The UTC start of the grain's bucket holding `ts` (ISO text). */
export function bucketStart(ts: string, grain: Grain): string {
  const time = Date.parse(ts);
  return new Date(time - (((time % GRAIN_MS[grain]) + GRAIN_MS[grain]) % GRAIN_MS[grain])).toISOString();
}

/** A rollup row with nothing counted, its dimensions empty. */
function emptyRollup(grain: Grain, bucket: string): RollupRow {
  return {
    grain,
    bucket,
    tenant_id: '',
    feature: '',
    prompt_name: '',
    prompt_version: '',
    variant: '',
    model: '',
    provider: '',
    context: '',
    synthetic: false,
    requests: 0,
    errors: 0,
    server_errors: 0,
    errors_by_class: {},
    input_tokens: 0,
    cached_tokens: 0,
    output_tokens: 0,
    cost_usd: 0,
    cache_hits: 0,
    guardrail_decisions: {},
    output_chars: 0,
    latency_hist: emptyHistogram(),
    ttft_hist: emptyHistogram(),
    guardrail_hist: emptyGuardHistogram(),
    grounded_answers: 0,
    faithfulness_sum: 0,
  };
}

const bump = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/**
 * What a batch of newly stored rows adds to each rollup (per grain, bucket and dimensions), sorted
 * by key so concurrent writers lock rollup rows in one order. Rows without a tenant never reach
 * the log, so every row here counts.
 */
export function rollupDeltas(records: readonly RequestRecord[], grains: readonly Grain[] = GRAINS): RollupRow[] {
  const rows = new Map<string, RollupRow>();
  const bucketText = new Map<number, string>(); // a batch spans few buckets: format each start once
  for (const record of records) {
    const dims = {
      tenant_id: record.tenant_id ?? '',
      feature: record.feature ?? '',
      prompt_name: record.prompt_name ?? '',
      prompt_version: record.prompt_version ?? '',
      variant: record.variant ?? '',
      model: record.model ?? '',
      provider: record.provider ?? '',
      context: contextBucketOf(record.input_tokens),
      synthetic: record.synthetic,
    };
    const dimsKey = Object.values(dims).join('\u0001');
    const time = Date.parse(record.ts);
    const latencyBucket = bucketOf(record.latency_ms_total);
    const ttftBucket = record.ttft_ms === null ? undefined : bucketOf(record.ttft_ms);
    for (const grain of grains) {
      const start = time - (((time % GRAIN_MS[grain]) + GRAIN_MS[grain]) % GRAIN_MS[grain]);
      const key = `${grain}\u0001${start}\u0001${dimsKey}`;
      let row = rows.get(key);
      if (!row) {
        let bucket = bucketText.get(start);
        if (bucket === undefined) bucketText.set(start, (bucket = new Date(start).toISOString()));
        row = { ...emptyRollup(grain, bucket), ...dims };
        rows.set(key, row);
      }
      row.requests += 1;
      if (record.status >= 400) {
        row.errors += 1;
        bump(row.errors_by_class, record.error_class ?? String(record.status));
        if (record.status >= 500) row.server_errors += 1;
      }
      row.input_tokens += record.input_tokens;
      row.cached_tokens += record.cached_tokens;
      row.output_tokens += record.output_tokens;
      row.cost_usd += record.cost_usd;
      if (record.cache_hit) row.cache_hits += 1;
      for (const guard of record.guardrails) {
        if (guard.decision !== 'allow') bump(row.guardrail_decisions, `${guard.id}:${guard.decision}`);
        countGuardRun(row.guardrail_hist, guard.id, guard.ms);
      }
      if (typeof record.faithfulness === 'number') {
        row.grounded_answers += 1;
        row.faithfulness_sum += record.faithfulness;
      }
      row.output_chars += record.output_chars;
      row.latency_hist[latencyBucket]! += 1;
      if (ttftBucket !== undefined) row.ttft_hist[ttftBucket]! += 1;
    }
  }
  return [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}

/** A row's fields that are not zero, empty or false: Postgres fills those in from an empty row. */
function sparse(row: RollupRow): Partial<RollupRow> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    const empty =
      value === 0 ||
      value === '' ||
      value === false ||
      (Array.isArray(value) ? value.every((n) => n === 0) : typeof value === 'object' && !Object.keys(value).length);
    if (!empty) out[key] = value;
  }
  return out;
}

/** A delta with nothing in it, as JSON: the base every appended delta is filled in from. */
const EMPTY_DELTA = JSON.stringify({ ...emptyRollup('minute', ''), bucket: null });

/**
 * Append what newly stored rows add, per minute (inside the transaction that stored them); the
 * fold and the readers' view derive hours and days from the minutes. Zeros and empty values are
 * left out of the JSON and filled in from an empty row: a third less for Postgres to parse, which
 * was most of the append's time.
 */
export async function appendRollupDeltas(
  db: { query(text: string, values: unknown[]): Promise<unknown> },
  records: readonly RequestRecord[],
): Promise<void> {
  if (!records.length) return;
  await db.query(
    `INSERT INTO request_rollup_deltas
     SELECT * FROM json_populate_recordset(json_populate_record(NULL::request_rollup_deltas, $2), $1)`,
    [JSON.stringify(rollupDeltas(records, ['minute']).map(sparse)), EMPTY_DELTA],
  );
}

const KEY =
  'grain, bucket, tenant_id, feature, prompt_name, prompt_version, variant, model, provider, synthetic, context';
const MEASURES =
  'requests, errors, server_errors, errors_by_class, input_tokens, cached_tokens, output_tokens, cost_usd, cache_hits, guardrail_decisions, output_chars, latency_hist, ttft_hist, guardrail_hist, grounded_answers, faithfulness_sum';
/** Element-wise sums of a histogram column over grouped rows, as one array. */
export const histogramSum = (column: string, length = HISTOGRAM_BUCKETS) =>
  `ARRAY[${Array.from({ length }, (_, i) => `sum(${column}[${i + 1}])`).join(', ')}]::bigint[]`;
const histogramMerge = (column: string, length = HISTOGRAM_BUCKETS) =>
  `ARRAY[${Array.from({ length }, (_, i) => `r.${column}[${i + 1}] + EXCLUDED.${column}[${i + 1}]`).join(', ')}]`;
const countsMerge = (column: string) =>
  `CASE WHEN EXCLUDED.${column} = '{}' THEN r.${column} ELSE rollup_counts_add(r.${column}, EXCLUDED.${column}) END`;
/** A rollup row's measures summed over grouped rows (native aggregates written out column by column). */
const SUMS = `sum(requests) AS requests, sum(errors) AS errors, sum(server_errors) AS server_errors,
    rollup_counts_sum(errors_by_class) FILTER (WHERE errors_by_class <> '{}') AS errors_by_class,
    sum(input_tokens) AS input_tokens, sum(cached_tokens) AS cached_tokens, sum(output_tokens) AS output_tokens,
    sum(cost_usd) AS cost_usd, sum(cache_hits) AS cache_hits,
    rollup_counts_sum(guardrail_decisions) FILTER (WHERE guardrail_decisions <> '{}') AS guardrail_decisions,
    sum(output_chars) AS output_chars, ${histogramSum('latency_hist')} AS latency_hist, ${histogramSum('ttft_hist')} AS ttft_hist,
    ${histogramSum('guardrail_hist', GUARD_HIST_LENGTH)} AS guardrail_hist,
    sum(grounded_answers) AS grounded_answers, sum(faithfulness_sum) AS faithfulness_sum`;
const DIMENSIONS = 'tenant_id, feature, prompt_name, prompt_version, variant, model, provider, synthetic, context';
// The deltas are summed per minute once, and hours and days from those sums: summing every delta
// into all three grains was most of the fold's time.
const FOLD = `
  WITH moved AS (DELETE FROM request_rollup_deltas RETURNING *),
  minutes AS (SELECT 'minute' AS grain, bucket, ${DIMENSIONS}, ${SUMS} FROM moved GROUP BY bucket, ${DIMENSIONS}),
  by_grain AS (
    SELECT * FROM minutes
    UNION ALL
    SELECT g.grain, date_trunc(g.grain, m.bucket, 'UTC') AS bucket, ${DIMENSIONS.split(', ')
      .map((d) => `m.${d}`)
      .join(', ')}, ${MEASURES.split(', ')
      .map((c) => `m.${c}`)
      .join(', ')}
    FROM minutes m CROSS JOIN (VALUES ('hour'), ('day')) g(grain)
  ),
  -- Which minutes changed, and when: readers of recent minutes re-read only these (recentBuckets.ts).
  touched AS (
    INSERT INTO request_rollup_folds AS f SELECT bucket, clock_timestamp() FROM (SELECT DISTINCT bucket FROM moved) b
    ON CONFLICT (bucket) DO UPDATE SET folded_at = EXCLUDED.folded_at
  )
  INSERT INTO request_rollups AS r (${KEY}, ${MEASURES})
  SELECT ${KEY}, ${SUMS} FROM by_grain GROUP BY ${KEY} ORDER BY ${KEY}
  ON CONFLICT (${KEY}) DO UPDATE SET
    requests = r.requests + EXCLUDED.requests,
    errors = r.errors + EXCLUDED.errors,
    server_errors = r.server_errors + EXCLUDED.server_errors,
    errors_by_class = ${countsMerge('errors_by_class')},
    input_tokens = r.input_tokens + EXCLUDED.input_tokens,
    cached_tokens = r.cached_tokens + EXCLUDED.cached_tokens,
    output_tokens = r.output_tokens + EXCLUDED.output_tokens,
    cost_usd = r.cost_usd + EXCLUDED.cost_usd,
    cache_hits = r.cache_hits + EXCLUDED.cache_hits,
    guardrail_decisions = ${countsMerge('guardrail_decisions')},
    output_chars = r.output_chars + EXCLUDED.output_chars,
    latency_hist = ${histogramMerge('latency_hist')},
    ttft_hist = ${histogramMerge('ttft_hist')},
    guardrail_hist = ${histogramMerge('guardrail_hist', GUARD_HIST_LENGTH)},
    grounded_answers = r.grounded_answers + EXCLUDED.grounded_answers,
    faithfulness_sum = r.faithfulness_sum + EXCLUDED.faithfulness_sum`;

/** Any fixed number: one folder at a time across gateways (the others skip a round). */
const FOLD_LOCK = 7_270_014;
/** How long the fold log remembers a minute (readers re-read what they cached longer ago: recentBuckets.ts). */
export const FOLD_LOG_HOURS = 24;

/**
 * Fold the appended deltas into request_rollups, one row per key. Moves and merges in one
 * transaction, so a delta is counted exactly once whoever folds and whenever it crashes.
 * Returns false when another process was folding.
 */
export async function foldRollupDeltas(pool: Pool): Promise<boolean> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS locked', [
      FOLD_LOCK,
    ]);
    if (!rows[0]!.locked) return false;
    await client.query(FOLD);
    await client.query(`DELETE FROM request_rollup_folds WHERE folded_at < now() - make_interval(hours => $1)`, [
      FOLD_LOG_HOURS,
    ]);
    return true;
  });
}

/**
 * Give back the space of folded deltas. Every fold deletes the whole table, and readers of recent
 * rollups scan it (request_rollups_all): left to autovacuum (a look a minute), a minute of heavy
 * traffic left hundreds of megabytes of dead rows, and a 28-day cost report went from 18 to 120 ms.
 * SKIP_LOCKED: another gateway vacuuming it already is enough.
 */
export async function vacuumRollupDeltas(pool: Pool): Promise<void> {
  await pool.query('VACUUM (SKIP_LOCKED) request_rollup_deltas');
}
