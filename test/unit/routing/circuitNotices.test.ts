import { drillCircuitKey, parseCircuitNotice } from '../../../src/routing/circuitNotices';

describe('circuit notices', () => {
  it("round-trips a drill tenant's own circuit, and reads a plain target as everyone's", () => {
    expect(parseCircuitNotice(drillCircuitKey('flightdeck-drills', 'simulator/gpt-4o'))).toEqual({
      tenant: 'flightdeck-drills',
      target: 'simulator/gpt-4o',
    });
    expect(parseCircuitNotice('simulator/gpt-4o')).toEqual({ target: 'simulator/gpt-4o' });
    // Anyone may NOTIFY: a malformed drill notice is read as a target, which names no model with a backup.
    expect(parseCircuitNotice('drill:|x')).toEqual({ target: 'drill:|x' });
  });
});
