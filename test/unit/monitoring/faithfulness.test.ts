import { faithfulnessProxy } from '../../../src/monitoring/faithfulness';

describe('faithfulness proxy', () => {
  const context = ['Returns are accepted within 30 days of delivery.', 'Refunds take five business days.'];

  it('is high for an answer drawn from the context and low for one that is not', () => {
    expect(faithfulnessProxy('Returns are accepted within 30 days of delivery.', context)).toBe(1);
    expect(faithfulnessProxy('Our store sells bicycles and skateboards downtown.', context)).toBe(0);
    const mixed = faithfulnessProxy('Refunds take five days; shipping is free worldwide.', context)!;
    expect(mixed).toBeGreaterThan(0.3);
    expect(mixed).toBeLessThan(0.8);
  });

  it('ignores case, punctuation and words that carry no claim', () => {
    expect(faithfulnessProxy('REFUNDS: five business days!', context)).toBe(1);
    expect(faithfulnessProxy('It is what it is, and that was that.', context)).toBeNull();
  });

  it('has nothing to score without context or without an answer', () => {
    expect(faithfulnessProxy('Returns within 30 days', [])).toBeNull();
    expect(faithfulnessProxy('', context)).toBeNull();
  });
});

describe('faithfulness proxy on large input', () => {
  it('reads only the first 100,000 characters of the passages (it runs on the gateway event loop)', () => {
    const filler = 'filler '.repeat(20_000); // 140,000 characters
    expect(faithfulnessProxy('refunds arrive promptly', [filler, 'refunds arrive promptly'])).toBe(0);
    expect(faithfulnessProxy('refunds arrive promptly', ['refunds arrive promptly', filler])).toBe(1);
  });
});
