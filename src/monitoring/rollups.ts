import type { RequestRecord } from '../telemetry/requestRecord';
import { bucketOf, emptyHistogram, type Histogram } from './histogram';

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
  synthetic: boolean;
  requests: number;
  errors: number;
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
}

/** The UTC start of the grain's bucket holding `ts` (ISO text). */
export function bucketStart(ts: string, grain: Grain): string {
  const time = Date.parse(ts);
  return new Date(time - (((time % GRAIN_MS[grain]) + GRAIN_MS[grain]) % GRAIN_MS[grain])).toISOString();
}

const bump = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/**
 * What a batch of newly stored rows adds to each rollup (per grain, bucket and dimensions), sorted
 * by key so concurrent writers lock rollup rows in one order. Rows without a tenant never reach
 * the log, so every row here counts.
 */
export function rollupDeltas(records: readonly RequestRecord[]): RollupRow[] {
  const rows = new Map<string, RollupRow>();
  for (const record of records) {
    const dims = {
      tenant_id: record.tenant_id ?? '',
      feature: record.feature ?? '',
      prompt_name: record.prompt_name ?? '',
      prompt_version: record.prompt_version ?? '',
      variant: record.variant ?? '',
      model: record.model ?? '',
      provider: record.provider ?? '',
      synthetic: record.synthetic,
    };
    for (const grain of GRAINS) {
      const bucket = bucketStart(record.ts, grain);
      const key = JSON.stringify([grain, bucket, ...Object.values(dims)]);
      let row = rows.get(key);
      if (!row) {
        row = {
          grain,
          bucket,
          ...dims,
          requests: 0,
          errors: 0,
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
        };
        rows.set(key, row);
      }
      row.requests += 1;
      if (record.status >= 400) {
        row.errors += 1;
        bump(row.errors_by_class, record.error_class ?? String(record.status));
      }
      row.input_tokens += record.input_tokens;
      row.cached_tokens += record.cached_tokens;
      row.output_tokens += record.output_tokens;
      row.cost_usd += record.cost_usd;
      if (record.cache_hit) row.cache_hits += 1;
      for (const guard of record.guardrails)
        if (guard.decision !== 'allow') bump(row.guardrail_decisions, `${guard.id}:${guard.decision}`);
      row.output_chars += record.output_chars;
      row.latency_hist[bucketOf(record.latency_ms_total)]! += 1;
      if (record.ttft_ms !== null) row.ttft_hist[bucketOf(record.ttft_ms)]! += 1;
    }
  }
  return [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}

/** Add a batch's deltas to request_rollups (inside the transaction that stored its rows). */
export async function upsertRollups(
  db: { query(text: string, values: unknown[]): Promise<unknown> },
  deltas: readonly RollupRow[],
): Promise<void> {
  if (!deltas.length) return;
  await db.query(
    `INSERT INTO request_rollups SELECT * FROM json_populate_recordset(NULL::request_rollups, $1)
     ON CONFLICT (grain, bucket, tenant_id, feature, prompt_name, prompt_version, variant, model, provider, synthetic)
     DO UPDATE SET
       requests = request_rollups.requests + EXCLUDED.requests,
       errors = request_rollups.errors + EXCLUDED.errors,
       errors_by_class = rollup_counts_add(request_rollups.errors_by_class, EXCLUDED.errors_by_class),
       input_tokens = request_rollups.input_tokens + EXCLUDED.input_tokens,
       cached_tokens = request_rollups.cached_tokens + EXCLUDED.cached_tokens,
       output_tokens = request_rollups.output_tokens + EXCLUDED.output_tokens,
       cost_usd = request_rollups.cost_usd + EXCLUDED.cost_usd,
       cache_hits = request_rollups.cache_hits + EXCLUDED.cache_hits,
       guardrail_decisions = rollup_counts_add(request_rollups.guardrail_decisions, EXCLUDED.guardrail_decisions),
       output_chars = request_rollups.output_chars + EXCLUDED.output_chars,
       latency_hist = rollup_hist_add(request_rollups.latency_hist, EXCLUDED.latency_hist),
       ttft_hist = rollup_hist_add(request_rollups.ttft_hist, EXCLUDED.ttft_hist)`,
    [JSON.stringify(deltas)],
  );
}
