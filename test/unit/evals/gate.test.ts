import { applyGate, DEFAULT_FLOORS, gateSettings } from '../../../src/evals/gate';
import { compareRuns, summarize } from '../../../src/evals/summary';
import { result } from '../../fixtures/caseResults';

const good = [result('a', true, 0.9), result('b', true, 0.8), result('c', true, 0.95), result('d', false, 0.4)];
const worse = [result('a', true, 0.9), result('b', false, 0.3), result('c', false, 0.2), result('d', false, 0.4)];

describe('summaries and the gate', () => {
  it('applies floors', () => {
    const verdict = applyGate(summarize(good), { floors: { pass_rate: 0.7, rubric: 0.8 }, maxRegression: 0.05 });
    expect(verdict.passed).toBe(false);
    expect(verdict.checks.map((c) => [c.metric, c.passed])).toEqual([
      ['pass_rate', true],
      ['rubric', false],
    ]);
  });

  it('fails on a regression against the baseline beyond the maximum', () => {
    const comparison = compareRuns(worse, good);
    expect(comparison.pass_rate!.difference.mean).toBeCloseTo(-0.5, 10);
    const verdict = applyGate(summarize(worse), { floors: { pass_rate: 0.2 }, maxRegression: 0.05 }, comparison);
    expect(
      verdict.checks
        .filter((c) => c.kind === 'regression' && !c.passed)
        .map((c) => c.metric)
        .sort(),
    ).toEqual(['pass_rate', 'score']);
  });

  it('takes dataset floors over prompt floors and defaults when neither sets any', () => {
    expect(gateSettings({ floors: {}, maxRegression: 0.05 }).floors).toEqual(DEFAULT_FLOORS);
    expect(gateSettings({ floors: { pass_rate: 0.9 }, maxRegression: 0.1 }, { pass_rate: 0.5, rubric: 0.6 })).toEqual({
      floors: { pass_rate: 0.9, rubric: 0.6 },
      maxRegression: 0.1,
    });
  });
});
