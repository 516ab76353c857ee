import { investigateLatency } from '../../src/incidents/latencyInvestigation';
import { bucketOf, HISTOGRAM_BUCKETS } from '../../src/monitoring/histogram';
import { createTestDatabase, type TestDatabase } from '../harness/database';

/**
 * The latency runbook's investigation against real Postgres rollups: the model's last half hour
 * against its week, synthetic traffic (drills, probes) left out.
 */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

/** Rollup rows of `model`: `requests` calls a bucket taking about `ms`, with `inputTokens` each. */
async function seed(rows: {
  grain: 'minute' | 'hour';
  buckets: string;
  model: string;
  ms: number;
  context: string;
  synthetic?: boolean;
  requests: number;
}): Promise<void> {
  const hist = Array.from({ length: HISTOGRAM_BUCKETS }, (_, i) => (i === bucketOf(rows.ms) ? rows.requests : 0));
  await db.pool.query(
    `INSERT INTO request_rollups (grain, bucket, tenant_id, feature, prompt_name, prompt_version, variant, model, provider,
       synthetic, requests, errors, server_errors, errors_by_class, input_tokens, cached_tokens, output_tokens, cost_usd,
       cache_hits, guardrail_decisions, output_chars, latency_hist, ttft_hist, context)
     SELECT $1, b, 'acme', 'chat', 'support', '1.0.0', 'stable', $2, 'openai', $3, $4::bigint, 0, 0, '{}', $4::bigint * 500, 0, $4::bigint * 200, 0,
       0, '{}', 0, $5::bigint[], array_fill(0::bigint, ARRAY[${HISTOGRAM_BUCKETS}]), $6
     FROM (${rows.buckets}) AS t(b)`,
    [rows.grain, rows.model, rows.synthetic ?? false, rows.requests, hist, rows.context],
  );
}

it('finds the provider slower at the same input size, and leaves synthetic traffic out', async () => {
  const hours = `SELECT date_trunc('hour', now()) - h * interval '1 hour' FROM generate_series(2, 7 * 24) h`;
  const minutes = `SELECT date_trunc('minute', now()) - m * interval '1 minute' FROM generate_series(0, 9) m`;
  await seed({ grain: 'hour', buckets: hours, model: 'slow-model', ms: 700, context: 'under-1k', requests: 60 });
  await seed({ grain: 'minute', buckets: minutes, model: 'slow-model', ms: 7000, context: 'under-1k', requests: 20 });
  // A drill's long-context calls in the same window would look like "longer inputs" if they counted.
  await seed({
    grain: 'minute',
    buckets: minutes,
    model: 'slow-model',
    ms: 7000,
    context: '32k-128k',
    synthetic: true,
    requests: 200,
  });
  // Another model's traffic is not this one's.
  await seed({ grain: 'minute', buckets: minutes, model: 'other-model', ms: 100, context: '8k-32k', requests: 500 });

  const found = await investigateLatency(db.pool, 'slow-model', 30);
  expect(found.cause).toBe('slower-provider');
  expect(found.contexts).toEqual([expect.objectContaining({ context: 'under-1k', share: 1, baselineShare: 1 })]);
  expect(found.p99Ms!).toBeGreaterThan(5000);
  expect(found.baselineP99Ms!).toBeLessThan(1000);
  expect(found.providers).toEqual([expect.objectContaining({ provider: 'openai', requests: 200 })]);
  expect(found.versions).toEqual([
    expect.objectContaining({ prompt: 'support', version: '1.0.0', inputTokens: 500, baselineInputTokens: 500 }),
  ]);
});
