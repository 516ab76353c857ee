import { fillerVariables } from '../../../src/canaries/canaryAttempts';

describe('fillerVariables', () => {
  it('fills every variable harmlessly: defaults, the first enum value, the minimum, and text that varies per attempt', () => {
    const variables = {
      question: { type: 'string', required: true, max_length: 20 },
      tone: { type: 'enum', required: true, values: ['friendly', 'formal'] },
      urgent: { type: 'boolean', required: false, default: true },
      count: { type: 'number', required: true, min: 2 },
    } as const;
    expect(fillerVariables(variables as never, 0)).toEqual({
      question: 'Customer message, re',
      tone: 'friendly',
      urgent: true,
      count: 2,
    });
    expect(fillerVariables({ q: { type: 'string', required: true } } as never, 4)).toEqual({
      q: 'Customer message, reference 5.',
    });
  });
});
