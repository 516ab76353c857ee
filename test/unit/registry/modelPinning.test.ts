import { isModelAlias } from '../../../src/registry/modelPinning';

describe('model aliases', () => {
  it.each([
    ['gpt-4o', true],
    ['gpt-4o-latest', true],
    ['claude-3-5-sonnet-latest', true],
    ['gpt-4o-mini-2024-07-18', false],
    ['claude-sonnet-4-5-20250929', false],
  ])('%s is an alias: %s', (model, alias) => {
    expect(isModelAlias(model)).toBe(alias);
  });
});
