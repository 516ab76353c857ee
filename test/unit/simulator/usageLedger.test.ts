import { UsageLedger } from '../../../src/simulator/usageLedger';

const DAY = 86_400_000;
const day0 = Date.UTC(2026, 10, 30);

describe('UsageLedger', () => {
  const ledger = new UsageLedger();
  ledger.record('openai', 'm1', day0 + 1000, { inputTokens: 10, cachedInputTokens: 2, outputTokens: 5 });
  ledger.record('openai', 'm1', day0 + 3_600_000, { inputTokens: 20, cachedInputTokens: 0, outputTokens: 7 });
  ledger.record('openai', 'm2', day0 + DAY + 60_000, { inputTokens: 1, cachedInputTokens: 0, outputTokens: 1 });
  ledger.record('anthropic', 'c1', day0 + 5000, { inputTokens: 99, cachedInputTokens: 0, outputTokens: 9 });

  it('sums per day and model, per API, with empty buckets kept', () => {
    const buckets = ledger.buckets('openai', day0, day0 + 3 * DAY, '1d', true, 10);
    expect(buckets.map((b) => b.start)).toEqual([day0, day0 + DAY, day0 + 2 * DAY]);
    expect(buckets[0]!.byModel.get('m1')).toEqual({
      requests: 2,
      inputTokens: 30,
      cachedInputTokens: 2,
      outputTokens: 12,
    });
    expect([...buckets[1]!.byModel.keys()]).toEqual(['m2']);
    expect(buckets[2]!.byModel.size).toBe(0);
  });

  it('sums all models together when not grouped, and hours apart by the hour', () => {
    const [first] = ledger.buckets('openai', day0, day0 + DAY, '1d', false, 10);
    expect(first!.byModel.get('')).toMatchObject({ requests: 2, inputTokens: 30 });
    const hours = ledger.buckets('openai', day0, day0 + 2 * 3_600_000, '1h', true, 10);
    expect(hours.map((h) => h.byModel.get('m1')?.requests)).toEqual([1, 1]);
    expect(ledger.buckets('anthropic', day0, day0 + DAY, '1d', true, 10)[0]!.byModel.get('c1')!.inputTokens).toBe(99);
  });
});
