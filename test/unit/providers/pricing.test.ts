import { cost, priceFor, type Price } from '../../../src/providers/pricing';

const table: Price[] = [
  { model: 'm-2024-01-01', effective: '2024-01-01', input: 2, cached_input: 0.5, output: 8 },
  { model: 'm-2024-01-01', effective: '2025-06-01', input: 1, cached_input: 0.25, output: 4 },
];

describe('pricing', () => {
  it('uses the price in force on the date', () => {
    expect(priceFor('m-2024-01-01', new Date('2025-01-01'), table)?.input).toBe(2);
    expect(priceFor('m-2024-01-01', new Date('2025-07-01'), table)?.input).toBe(1);
    expect(priceFor('m-2024-01-01', new Date('2023-01-01'), table)).toBeUndefined();
  });

  it('charges uncached input, cached input and output at their own rates', () => {
    // 1000 uncached * 2 + 1000 cached * 0.5 + 500 * 8 = 2000 + 500 + 4000 per million
    const c = cost(
      'm-2024-01-01',
      { inputTokens: 2000, cachedInputTokens: 1000, outputTokens: 500 },
      new Date('2025-01-01'),
      table,
    );
    expect(c).toEqual({ usd: 0.0065, priced: true });
  });

  it('says when a model has no price rather than calling it free', () => {
    expect(cost('unknown', { inputTokens: 10, cachedInputTokens: 0, outputTokens: 10 })).toEqual({
      usd: 0,
      priced: false,
    });
  });

  it('ships prices for the example models', () => {
    expect(priceFor('gpt-4o-mini-2024-07-18')).toBeDefined();
    expect(priceFor('claude-haiku-4-5-20251001')).toBeDefined();
  });

  it('answers the shipped table by the day asked, whatever day was asked before (the memo is per day)', () => {
    // gpt-4o-2024-08-06 is priced from 2024-10-01 on.
    expect(priceFor('gpt-4o-2024-08-06', new Date('2024-10-01T00:00:00Z'))?.input).toBe(2.5);
    expect(priceFor('gpt-4o-2024-08-06', new Date('2024-09-30T23:59:59.999Z'))).toBeUndefined();
    expect(priceFor('gpt-4o-2024-08-06', new Date('2024-10-01T12:00:00Z'))?.input).toBe(2.5);
    expect(priceFor('gpt-4o-2024-08-06', new Date('1969-12-31T12:00:00Z'))).toBeUndefined();
  });
});
