import { costRoutedModel } from '../../../src/routing/costRouting';

describe('cost routing', () => {
  it('sends a request to the first rule whose every condition holds', () => {
    const rules = [
      { max_input_tokens: 50, pattern: '\\border status\\b', model: 'tiny' },
      { max_input_tokens: 100, model: 'small' },
    ];
    expect(costRoutedModel(rules, 20, 'What is my ORDER STATUS?')).toBe('tiny');
    expect(costRoutedModel(rules, 20, 'hello')).toBe('small');
    expect(costRoutedModel(rules, 60, 'order status')).toBe('small');
    expect(costRoutedModel(rules, 500, 'order status')).toBeUndefined();
    expect(costRoutedModel([], 1, 'x')).toBeUndefined();
  });
});
