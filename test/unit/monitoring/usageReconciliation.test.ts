import { compareUsage, withinTolerance } from '../../../src/monitoring/usageReconciliation';

const usage = (input: number, output: number) => ({
  requests: 1,
  inputTokens: input,
  cachedTokens: 0,
  outputTokens: output,
});
const settings = { tolerance: 0.02, min_tokens: 1000, min_usd: 0.5 };

describe('withinTolerance', () => {
  it('takes a difference under the relative bound of the larger side, or under the floor', () => {
    expect(withinTolerance(1_000_000, 1_015_000, 0.02, 1000)).toBe(true);
    expect(withinTolerance(1_000_000, 1_030_000, 0.02, 1000)).toBe(false);
    expect(withinTolerance(0, 900, 0.02, 1000)).toBe(true);
    expect(withinTolerance(0, 1100, 0.02, 1000)).toBe(false);
  });
});

describe('compareUsage', () => {
  it('lines up models from both sides, and a model on one side only differs', () => {
    const lines = compareUsage(
      new Map([
        ['a', usage(100_000, 20_000)],
        ['b', usage(50_000, 5_000)],
      ]),
      new Map([
        ['a', usage(100_500, 20_100)],
        ['c', usage(40_000, 4_000)],
      ]),
      settings,
    );
    expect(lines.map((l) => [l.model, l.matches, l.inputDifference, l.outputDifference])).toEqual([
      ['a', true, 500, 100],
      ['b', false, -50_000, -5_000],
      ['c', false, 40_000, 4_000],
    ]);
  });

  it('flags output alone', () => {
    const [line] = compareUsage(
      new Map([['a', usage(100_000, 20_000)]]),
      new Map([['a', usage(100_000, 30_000)]]),
      settings,
    );
    expect(line!.matches).toBe(false);
  });
});
