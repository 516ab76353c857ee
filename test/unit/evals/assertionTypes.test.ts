import { resolveAssertionType, type Assertion } from '../../../src/evals/assertionSpec';
import { judgedResult, runCheck, type CheckType } from '../../../src/evals/assertionTypes';
import { similarity } from '../../../src/evals/editDistance';

const observed = (output: string, latencyMs = 100, costUsd = 0.001) => ({ output, latencyMs, costUsd });

function check(type: string, value: unknown, output: string, extra: Partial<Assertion> = {}) {
  const resolved = resolveAssertionType(type)!;
  return runCheck(
    { ...resolved, value, weight: 1, metric: type, ...extra } as Assertion & { type: CheckType },
    observed(output),
  );
}

describe('assertions', () => {
  it.each([
    ['equals', 'Yes', ' Yes ', true],
    ['equals', 'Yes', 'No', false],
    ['contains', '30 days', 'within 30 days.', true],
    ['contains', '30 Days', 'within 30 days.', false],
    ['icontains', '30 Days', 'within 30 days.', true],
    ['contains-any', ['cat', 'dog'], 'a dog', true],
    ['contains-any', ['cat', 'dog'], 'a cow', false],
    ['contains-all', ['cat', 'dog'], 'cat and dog', true],
    ['contains-all', ['cat', 'dog'], 'cat only', false],
    ['icontains-all', ['CAT', 'dog'], 'Cat and Dog', true],
    ['starts-with', 'Sure', 'Sure, here', true],
    ['regex', '^\\d{3}-\\d{4}$', '555-1234', true],
    ['regex', '^\\d{3}$', '5555', false],
    ['is-json', undefined, '{"a":1}', true],
    ['is-json', undefined, '{"a":1', false],
    ['json-schema', { type: 'object', required: ['answer'] }, '{"answer":"x"}', true],
    ['json-schema', { type: 'object', required: ['answer'] }, '{"other":"x"}', false],
    ['length', { min: 3, max: 5 }, 'abcd', true],
    ['length', { max: 3 }, 'abcd', false],
    ['is-refusal', undefined, "I'm sorry, but I can't help with that.", true],
    ['is-refusal', undefined, 'Refunds take 5 days.', false],
    ['not-contains', 'guarantee', 'We guarantee it', false],
    ['not-is-refusal', undefined, 'Refunds take 5 days.', true],
  ])('%s %j on %j -> %s', (type, value, output, pass) => {
    expect(check(type, value, output).pass).toBe(pass);
  });

  it('checks latency and cost against the observed call', () => {
    const latency = resolveAssertionType('latency')!;
    expect(runCheck({ ...latency, value: 200, weight: 1, metric: 'latency' } as never, observed('x', 150)).pass).toBe(
      true,
    );
    expect(runCheck({ ...latency, value: 100, weight: 1, metric: 'latency' } as never, observed('x', 150)).pass).toBe(
      false,
    );
    const cost = resolveAssertionType('cost')!;
    expect(runCheck({ ...cost, value: 0.0005, weight: 1, metric: 'cost' } as never, observed('x', 1, 0.001)).pass).toBe(
      false,
    );
  });

  it('scores similarity by edit distance against a threshold', () => {
    expect(similarity('kitten', 'sitting')).toBeCloseTo(1 - 3 / 7, 10);
    const result = check('similarity', 'The refund window is 30 days.', 'The refund window is 31 days.');
    expect(result.pass).toBe(true);
    expect(result.score).toBeGreaterThan(0.9);
    expect(check('similarity', 'abc', 'xyz', { threshold: 0.5 }).pass).toBe(false);
  });

  it('negation flips pass and score', () => {
    const plain = check('similarity', 'abcdef', 'abcdxx');
    const negated = check('not-similarity', 'abcdef', 'abcdxx');
    expect(negated.score).toBeCloseTo(1 - plain.score, 10);
    expect(negated.pass).toBe(!plain.pass);
  });
});

describe('javascript assertions (promptfoo semantics)', () => {
  const js = (value: string, output: string, extra: { threshold?: number; negated?: boolean; value?: unknown } = {}) =>
    runCheck(
      { type: 'javascript', negated: extra.negated ?? false, value, threshold: extra.threshold },
      { ...observed(output), value: extra.value ?? output, vars: { city: 'Paris' } },
    );

  it('a boolean passes or fails; a number is a score, passing above zero or at the threshold', () => {
    expect(js("output.includes('Paris')", 'Paris, France')).toMatchObject({ pass: true, score: 1 });
    expect(js("output.includes('Rome')", 'Paris, France')).toMatchObject({ pass: false, score: 0 });
    expect(js('output.length / 100', 'x'.repeat(40), { threshold: 0.5 })).toMatchObject({ pass: false, score: 0.4 });
    expect(js('output.length / 100', 'x'.repeat(60), { threshold: 0.5 })).toMatchObject({ pass: true, score: 0.6 });
    expect(js('0', 'x')).toMatchObject({ pass: false, score: 0 });
  });

  it('{pass, score, reason} is taken as it is; an error fails with its message; not- flips', () => {
    expect(js("return { pass: output === context.vars.city, score: 0.9, reason: 'named the city' };", 'Paris')).toEqual(
      {
        pass: true,
        score: 0.9,
        reason: 'named the city',
      },
    );
    expect(js("(() => { throw new Error('bad shape'); })()", 'x')).toMatchObject({
      pass: false,
      reason: 'javascript failed: bad shape',
    });
    expect(js("output.includes('Paris')", 'Paris', { negated: true })).toMatchObject({ pass: false, score: 0 });
  });

  it("sees a transform's result as it is (a list stays a list)", () => {
    expect(js('Array.isArray(output) && output.length === 2', '["a","b"]', { value: ['a', 'b'] })).toMatchObject({
      pass: true,
    });
  });
});

describe('judged results', () => {
  it("promptfoo's yes/no graders (closedqa, factuality) score 1 or 0, yes from 0.5", () => {
    expect(judgedResult(0.62, { type: 'closedqa', negated: false })).toEqual({ pass: true, score: 1, threshold: 0.5 });
    expect(judgedResult(0.3, { type: 'factuality', negated: false })).toEqual({
      pass: false,
      score: 0,
      threshold: 0.5,
    });
    expect(judgedResult(0.3, { type: 'factuality', negated: true })).toEqual({ pass: true, score: 1, threshold: 0.5 });
  });

  it("the scored graders keep the mean as the score, passing at 0.7 or the assertion's threshold", () => {
    expect(judgedResult(0.8, { type: 'rubric', negated: false })).toEqual({ pass: true, score: 0.8, threshold: 0.7 });
    expect(judgedResult(0.8, { type: 'rubric', negated: false, threshold: 0.9 })).toMatchObject({
      pass: false,
      score: 0.8,
    });
    expect(judgedResult(0.8, { type: 'rubric', negated: true })).toMatchObject({
      pass: false,
      score: expect.closeTo(0.2),
    });
  });
});
