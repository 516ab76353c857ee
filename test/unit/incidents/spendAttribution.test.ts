import { classifySpendCause } from '../../../src/incidents/spendAttribution';

const usual = {
  requestsPerMinute: 10,
  baselineRequestsPerMinute: 10,
  inputTokensPerRequest: 500,
  baselineInputTokensPerRequest: 500,
  top: { feature: [], model: [], version: [{ value: 'support@1.0.0', usd: 1, share: 1 }] },
  newVersions: [] as string[],
  repeatShare: 0.05,
};

describe('classifySpendCause', () => {
  it('names a loop: many more requests, most of them the same', () => {
    expect(classifySpendCause({ ...usual, requestsPerMinute: 200, repeatShare: 0.9 })).toBe('loop');
  });

  it('names context growth: inputs much longer than usual', () => {
    expect(classifySpendCause({ ...usual, inputTokensPerRequest: 4000 })).toBe('context-growth');
  });

  it('names prompt expansion: a new version carries the spend with longer inputs', () => {
    const top = { ...usual.top, version: [{ value: 'support@2.0.0', usd: 9, share: 0.9 }] };
    expect(classifySpendCause({ ...usual, inputTokensPerRequest: 4000, top, newVersions: ['support@2.0.0'] })).toBe(
      'prompt-expansion',
    );
  });

  it('names volume: more requests of the usual kind; unknown otherwise', () => {
    expect(classifySpendCause({ ...usual, requestsPerMinute: 50 })).toBe('volume');
    expect(classifySpendCause(usual)).toBe('unknown');
  });
});
