import { resolveAssertionType } from '../../../src/evals/assertionSpec';

describe('assertions', () => {
  it('resolves promptfoo aliases and rejects unknown types', () => {
    expect(resolveAssertionType('llm-rubric')).toEqual({ type: 'rubric', negated: false });
    expect(resolveAssertionType('model-graded-closedqa')).toEqual({ type: 'closedqa', negated: false });
    expect(resolveAssertionType('not-factuality')).toEqual({ type: 'factuality', negated: true });
    expect(resolveAssertionType('not-context-faithfulness')).toEqual({ type: 'faithfulness', negated: true });
    expect(resolveAssertionType('python')).toBeUndefined();
  });
});
