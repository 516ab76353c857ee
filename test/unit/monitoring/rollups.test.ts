import { bucketOf } from '../../../src/monitoring/histogram';
import { bucketStart, rollupDeltas } from '../../../src/monitoring/rollups';
import type { RequestRecord } from '../../../src/telemetry/requestRecord';
import { logEntry } from '../../harness/logEntries';

const record = (over: Partial<RequestRecord>): RequestRecord =>
  logEntry('acme', null, {
    ts: '2026-12-01T23:59:30.000Z',
    prompt_name: 'support',
    prompt_version: '1.0.0',
    variant: 'stable',
    model: 'gpt-4o-2024-08-06',
    provider: 'openai',
    input_tokens: 100,
    cached_tokens: 10,
    output_tokens: 20,
    cost_usd: 0.001,
    latency_ms_total: 120,
    ttft_ms: null,
    output_chars: 80,
    ...over,
  }).record;

describe('rollupDeltas', () => {
  it('buckets by UTC minute, hour and day', () => {
    expect(bucketStart('2026-12-01T23:59:30.500Z', 'minute')).toBe('2026-12-01T23:59:00.000Z');
    expect(bucketStart('2026-12-01T23:59:30.500Z', 'hour')).toBe('2026-12-01T23:00:00.000Z');
    expect(bucketStart('2026-12-01T23:59:30.500Z', 'day')).toBe('2026-12-01T00:00:00.000Z');
  });

  it('adds up each key once per grain, across midnight into separate days', () => {
    const rows = rollupDeltas([
      record({ request_id: 'a' }),
      record({ request_id: 'b', status: 502, error_class: 'provider_error', cache_hit: true }),
      record({ request_id: 'c', ts: '2026-12-02T00:00:10.000Z', ttft_ms: 40 }),
    ]);
    const days = rows.filter((r) => r.grain === 'day');
    expect(days.map((r) => [r.bucket, r.requests])).toEqual([
      ['2026-12-01T00:00:00.000Z', 2],
      ['2026-12-02T00:00:00.000Z', 1],
    ]);
    const first = days[0]!;
    expect(first).toMatchObject({
      errors: 1,
      errors_by_class: { provider_error: 1 },
      input_tokens: 200,
      cached_tokens: 20,
      output_tokens: 40,
      cache_hits: 1,
      output_chars: 160,
      feature: '',
      synthetic: false,
    });
    expect(first.cost_usd).toBeCloseTo(0.002);
    expect(first.latency_hist[bucketOf(120)]).toBe(2);
    expect(first.ttft_hist.reduce((a, b) => a + b)).toBe(0);
    expect(days[1]!.ttft_hist[bucketOf(40)]).toBe(1);
    expect(rows.filter((r) => r.grain === 'minute')).toHaveLength(2);
  });

  it('keeps synthetic traffic and each dimension apart, and counts only guardrails that acted', () => {
    const rows = rollupDeltas([
      record({ request_id: 'a', synthetic: true }),
      record({ request_id: 'b', tenant_id: 'beta' }),
      record({
        request_id: 'c',
        guardrails: [
          { id: 'input.pii', decision: 'redact', ms: 0.1 },
          { id: 'input.injection', decision: 'allow', ms: 0.1 },
        ],
      }),
    ]).filter((r) => r.grain === 'day');
    expect(rows).toHaveLength(3);
    expect(rows.find((r) => r.synthetic)!.requests).toBe(1);
    expect(rows.find((r) => r.tenant_id === 'acme' && !r.synthetic)!.guardrail_decisions).toEqual({
      'input.pii:redact': 1,
    });
  });

  it('sorts its rows by key, so concurrent writers lock rollup rows in the same order', () => {
    const keys = rollupDeltas([record({ tenant_id: 'zeta' }), record({ tenant_id: 'alpha' })]).map((r) =>
      JSON.stringify([r.grain, r.bucket, r.tenant_id]),
    );
    expect(keys).toEqual([...keys].sort());
  });
});
