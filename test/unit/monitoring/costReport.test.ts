import {
  buildCostReport,
  firstDay,
  parseBy,
  parseSince,
  suggestions,
  type CostDayRow,
  type CostQuery,
  type UsageRow,
} from '../../../src/monitoring/costReport';
import { priceFor, pricedModels } from '../../../src/providers/pricing';

const now = new Date('2026-12-02T15:00:00Z');
const query = (over: Partial<CostQuery> = {}): CostQuery => ({
  by: ['tenant'],
  sinceDays: 28,
  includeSynthetic: false,
  maxCostPerCallUsd: 0.05,
  now,
  ...over,
});
const day = (date: string, tenant: string, calls: number, costUsd: number, cacheHits = 0): CostDayRow => ({
  day: date,
  key: { tenant },
  calls,
  inputTokens: calls * 100,
  cachedTokens: 0,
  outputTokens: calls * 10,
  costUsd,
  cacheHits,
});
const usage = (over: Partial<UsageRow>): UsageRow => ({
  prompt: 'support',
  version: '1.2.0',
  route: 'stable',
  model: 'gpt-4o-2024-08-06',
  calls: 1000,
  inputTokens: 1000 * 120,
  outputTokens: 1000 * 40,
  costUsd: 0.7,
  cacheHits: 500,
  ...over,
});

describe('cost report options', () => {
  it('reads --since in days and --by as known dimensions, and names what is wrong', () => {
    expect(parseSince('28d')).toBe(28);
    expect(() => parseSince('28')).toThrow(/number of days such as 28d/);
    expect(() => parseSince('0d')).toThrow(/1d to 3660d/);
    expect(parseBy('tenant, model,tenant')).toEqual(['tenant', 'model']);
    expect(() => parseBy('tenant,colour')).toThrow(/unknown: colour/);
    expect(() => parseBy('')).toThrow(/comma-separated list/);
  });

  it('covers today and the days before it', () => {
    expect(firstDay(now, 1).toISOString()).toBe('2026-12-02T00:00:00.000Z');
    expect(firstDay(now, 28).toISOString()).toBe('2026-11-05T00:00:00.000Z');
  });
});

describe('buildCostReport', () => {
  it('totals, groups by spend with their series, and projects a month from the last 7 full days', () => {
    const rows = [
      // 7 full days before today at $2 a day for acme, $1 a day for beta; today is partial and ignored.
      ...Array.from({ length: 7 }, (_, i) =>
        day(`2026-11-${25 + i}`.replace('2026-11-31', '2026-12-01'), 'acme', 10, 2, 5),
      ),
      ...Array.from({ length: 7 }, (_, i) =>
        day(`2026-11-${25 + i}`.replace('2026-11-31', '2026-12-01'), 'beta', 10, 1),
      ),
      day('2026-12-02', 'acme', 10, 50),
      day('2026-11-01', 'acme', 10, 1000), // before the range of a 28-day report would start: still counted if loaded
    ].filter((r) => r.day >= '2026-11-05');
    const report = buildCostReport(rows, [], query());
    expect(report.totals.calls).toBe(150);
    expect(report.totals.costUsd).toBeCloseTo(14 + 7 + 50);
    expect(report.totals.projectedMonthlyUsd).toBeCloseTo(3 * 30);
    expect(report.groups.map((g) => g.key.tenant)).toEqual(['acme', 'beta']);
    expect(report.groups[0]!.series).toHaveLength(8);
    expect(report.groups[0]!.cacheHitRate).toBeCloseTo(35 / 80);
    expect(report.groups[0]!.costPerCallUsd).toBeCloseTo(64 / 80);
    expect(report.groups[1]!.projectedMonthlyUsd).toBeCloseTo(30);
    expect(report.since).toBe('2026-11-05');
  });

  it('reports nothing spent, not an error, for an empty range', () => {
    const report = buildCostReport([], [], query({ tenant: 'nobody' }));
    expect(report.totals).toMatchObject({ calls: 0, costUsd: 0, costPerCallUsd: 0, projectedMonthlyUsd: 0 });
    expect(report.groups).toEqual([]);
  });
});

describe('suggestions', () => {
  it('proposes a cost-routing rule when a pricey model serves many short inputs, with a saving', () => {
    const [first] = suggestions([usage({})], query(), 28);
    expect(first).toMatchObject({ kind: 'cheaper_model_for_short_inputs' });
    expect(first!.message).toMatch(/\{ max_input_tokens: 300, model: gpt-[^ ]+ \}/);
    expect(first!.estimatedMonthlySavingUsd).toBeGreaterThan(0);
    expect(first!.estimatedMonthlySavingUsd).toBeLessThan((0.7 / 28) * 30);
  });

  it('stays quiet for long inputs, few calls or a model already cheapest in its family', () => {
    const kinds = (rows: UsageRow[]) => suggestions(rows, query(), 28).map((s) => s.kind);
    expect(kinds([usage({ inputTokens: 1000 * 2000 })])).toEqual([]);
    expect(kinds([usage({ calls: 20, inputTokens: 20 * 100, cacheHits: 10, costUsd: 0.01 })])).toEqual([]);
    const blended = (model: string) => priceFor(model, now)!.input + 3 * priceFor(model, now)!.output;
    const cheapestGpt = [...pricedModels(now).keys()]
      .filter((m) => m.startsWith('gpt-'))
      .sort((a, b) => blended(a) - blended(b))[0]!;
    expect(kinds([usage({ model: cheapestGpt })])).toEqual([]);
  });

  it('names a prompt that never hits the cache and a route above the cost-per-call line', () => {
    const found = suggestions([usage({ cacheHits: 0, inputTokens: 1000 * 4000, costUsd: 120 })], query(), 28).map(
      (s) => s.kind,
    );
    expect(found).toEqual(['enable_cache', 'expensive_route']);
  });
});
