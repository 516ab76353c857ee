import { answersToConfirm, confirmationSchema } from '../../../src/monitoring/confirmationSampling';

const baseline = { n: 2000, mean: 0.8, sd: 0.15 };
const options = { suspectZ: 2, minSamples: 50 };
/** n scores whose mean sits `z` standard errors (of the baseline's spread) below the baseline. */
const window = (n: number, z: number) => ({ n, mean: 0.8 - (z * 0.15) / Math.sqrt(n), sd: 0.15 });

describe('answersToConfirm', () => {
  it('asks for enough answers to fill the window, with headroom, when a few scores dip', () => {
    expect(answersToConfirm(window(10, 2.1), baseline, options)).toBe(63 - 10);
    expect(answersToConfirm(window(3, 3), baseline, options)).toBe(60);
  });

  it('asks for nothing when the scores are within noise, higher, or already enough to decide', () => {
    expect(answersToConfirm(window(10, 1.9), baseline, options)).toBe(0);
    expect(answersToConfirm(window(10, -3), baseline, options)).toBe(0);
    expect(answersToConfirm(window(50, 3), baseline, options)).toBe(0);
  });

  it('asks for nothing on two scores, on a baseline too thin to judge against, or when turned off', () => {
    expect(answersToConfirm(window(2, 5), baseline, options)).toBe(0);
    expect(answersToConfirm(window(10, 3), { ...baseline, n: 49 }, options)).toBe(0);
    expect(answersToConfirm(window(10, 3), baseline, { ...options, suspectZ: 0 })).toBe(0);
  });

  it('judges a dip against the baseline spread, not the few scores own (three equal scores have none)', () => {
    expect(answersToConfirm({ n: 3, mean: 0.79, sd: 0 }, baseline, options)).toBe(0);
    expect(answersToConfirm({ n: 3, mean: 0.6, sd: 0 }, baseline, options)).toBe(60);
  });
});

describe('a confirmation payload (the child workflow and activity input)', () => {
  const ok = {
    ruleId: 'prompt-judge-score',
    key: 'prompt-judge-score:prompt=support',
    series: { prompt: 'support' },
    answers: 60,
    from: '2026-12-03T10:00:00.000Z',
    until: '2026-12-03T10:05:00.000Z',
  };
  it('takes what a pass asks for and refuses oversized, unbounded or malformed ones', () => {
    expect(confirmationSchema.safeParse(ok).success).toBe(true);
    for (const hostile of [
      { ...ok, answers: 1_000_000 },
      { ...ok, answers: 0 },
      { ...ok, key: 'k'.repeat(5000) },
      { ...ok, series: Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`d${i}`, 'x'])) },
      { ...ok, series: { prompt: 'p'.repeat(10_000) } },
      { ...ok, from: 'yesterday' },
      { ...ok, extra: true },
      'not an object',
    ])
      expect(confirmationSchema.safeParse(hostile).success).toBe(false);
  });
});
