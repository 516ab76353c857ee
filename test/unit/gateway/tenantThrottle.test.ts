import { ThrottleBuckets } from '../../../src/gateway/tenantThrottle';

describe('throttle buckets', () => {
  let clock = 0;
  const buckets = new ThrottleBuckets(() => clock);

  it('refuses everything when the throttle keeps no rate', () => {
    expect(buckets.admit({ tenantId: 'a', rpm: null })).toBe(60);
  });

  it('admits a burst of a tenth of the rate, then one request per 60/rpm seconds', () => {
    clock = 0;
    const admitted = Array.from({ length: 20 }, () => buckets.admit({ tenantId: 'b', rpm: 120 }));
    expect(admitted.filter((wait) => wait === 0)).toHaveLength(12);
    expect(admitted[12]).toBe(1); // one token comes back every half second: wait a second (whole seconds)
    clock += 500;
    expect(buckets.admit({ tenantId: 'b', rpm: 120 })).toBe(0);
    expect(buckets.admit({ tenantId: 'b', rpm: 120 })).toBeGreaterThan(0);
  });

  it('never saves up more than the burst, and keeps tenants apart', () => {
    clock = 0;
    buckets.admit({ tenantId: 'c', rpm: 10 });
    clock += 3_600_000;
    const admitted = Array.from({ length: 5 }, () => buckets.admit({ tenantId: 'c', rpm: 10 }));
    expect(admitted.filter((wait) => wait === 0)).toHaveLength(1);
    expect(admitted[1]).toBe(6);
    expect(buckets.admit({ tenantId: 'd', rpm: 10 })).toBe(0);
  });

  it('starts afresh when the rate changes', () => {
    clock = 0;
    for (let i = 0; i < 5; i++) buckets.admit({ tenantId: 'e', rpm: 10 });
    expect(buckets.admit({ tenantId: 'e', rpm: 600 })).toBe(0);
  });
});
