import { AlertLifecycle } from '../../../src/monitoring/alertLifecycle';

const MINUTE = 60_000;

describe('AlertLifecycle', () => {
  it('raises once per open key, resolves on ok, stays quiet through the cooldown, ignores no data', () => {
    const lifecycle = new AlertLifecycle(30 * MINUTE);
    expect(lifecycle.observe('k', 'fire', 0)).toBe(true);
    expect(lifecycle.observe('k', 'fire', MINUTE)).toBe(false);
    expect(lifecycle.observe('k', 'no_data', 2 * MINUTE)).toBe(false);
    expect(lifecycle.observe('k', 'fire', 3 * MINUTE)).toBe(false); // still open: no data did not resolve it
    expect(lifecycle.observe('k', 'ok', 4 * MINUTE)).toBe(false);
    expect(lifecycle.observe('k', 'fire', 20 * MINUTE)).toBe(false); // cooling down
    expect(lifecycle.observe('k', 'fire', 35 * MINUTE)).toBe(true);
    expect(lifecycle.observe('other', 'fire', 35 * MINUTE)).toBe(true);
  });
});
