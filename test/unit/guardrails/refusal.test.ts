import { isRefusal } from '../../../src/guardrails/refusal';

describe('assertions', () => {
  it('detects refusals', () => {
    expect(isRefusal('I am unable to provide that information.')).toBe(true);
    expect(isRefusal('You are able to return it.')).toBe(false);
  });
});
