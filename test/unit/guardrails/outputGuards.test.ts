import { DEFAULT_OUTPUT_RULES } from '../../../src/config/gatewayConfig';
import { checkOutput } from '../../../src/guardrails/outputGuards';

describe('output guardrails', () => {
  it('blocks banned output categories, flags schema violations and refusals', () => {
    expect(
      checkOutput('Here is the key: sk-abcdefghijklmnopqrstuvwxyz123456', DEFAULT_OUTPUT_RULES, undefined).blocked?.id,
    ).toBe('output.credentials');
    const schema = { type: 'object', required: ['name'] };
    const bad = checkOutput('{"title": "x"}', DEFAULT_OUTPUT_RULES, schema);
    expect(bad.blocked).toBeUndefined();
    expect(bad.records.find((r) => r.id === 'output.json_schema')).toMatchObject({ decision: 'flag' });
    expect(
      checkOutput('{"name": "Ada"}', DEFAULT_OUTPUT_RULES, schema).records.find((r) => r.id === 'output.json_schema')
        ?.decision,
    ).toBe('allow');
    expect(
      checkOutput("I'm sorry, but I can't help with that.", DEFAULT_OUTPUT_RULES, undefined).records.find(
        (r) => r.id === 'output.refusal',
      )?.decision,
    ).toBe('flag');
  });
});
