import { retryDelayMs } from '../../../src/providers/retry';

describe('provider retries', () => {
  it('backs off with jitter, honouring Retry-After', () => {
    const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(retryDelayMs(3, policy, undefined, () => 1)).toBe(800);
    expect(retryDelayMs(5, policy, undefined, () => 1)).toBe(1000);
    expect(retryDelayMs(0, policy, 300)).toBe(300);
  });
});
