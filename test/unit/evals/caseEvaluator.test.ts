import { combine, transformed } from '../../../src/evals/caseEvaluator';

describe('case scoring', () => {
  const outcome = (pass: boolean, score: number, weight = 1) => ({
    type: 't',
    metric: 't',
    weight,
    pass,
    score,
    reason: '',
  });
  it('passes a case without assertions (a promptfoo test kept for review)', () => {
    expect(combine([], undefined)).toEqual({ score: 1, passed: true });
  });
  it('passes only when every assertion passes, by default', () => {
    expect(combine([outcome(true, 1), outcome(false, 0)], undefined)).toEqual({ score: 0.5, passed: false });
  });
  it('passes on the weighted score when the case sets a threshold', () => {
    expect(combine([outcome(true, 1, 3), outcome(false, 0, 1)], 0.7)).toEqual({ score: 0.75, passed: true });
    expect(combine([outcome(true, 1, 1), outcome(false, 0, 1)], 0.7).passed).toBe(false);
  });
});

describe('transforms before assertions', () => {
  it('hands the assertion what the transform made, and says when a transform fails', () => {
    expect(transformed(undefined, 'Paris, Rome', {})).toEqual({ value: 'Paris, Rome' });
    expect(transformed("output.split(',').map((s) => s.trim())", 'Paris, Rome', {})).toEqual({
      value: ['Paris', 'Rome'],
    });
    expect(transformed('context.vars.n * 2', 'x', { n: 21 })).toEqual({ value: 42 });
    expect(transformed("(() => { throw new Error('not a list'); })()", 'x', {})).toEqual({ error: 'not a list' });
  });
});
