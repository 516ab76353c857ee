import { bucketOf, inCandidateBucket } from '../../../src/routing/bucketing';

describe('sticky bucketing', () => {
  const users = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);

  it('is stable and spreads subjects evenly over the 10,000 buckets', () => {
    expect(bucketOf('exp', 'alice')).toBe(bucketOf('exp', 'alice'));
    const share = users.filter((u) => inCandidateBucket('exp', u, 500)).length / users.length;
    expect(share).toBeGreaterThan(0.04);
    expect(share).toBeLessThan(0.06);
  });

  it('only adds subjects as the weight grows, so nobody flips back', () => {
    const at = (bp: number) => new Set(users.filter((u) => inCandidateBucket('exp', u, bp)));
    const steps = [100, 500, 2500, 5000, 10_000].map(at);
    for (let i = 1; i < steps.length; i++) for (const user of steps[i - 1]!) expect(steps[i]!.has(user)).toBe(true);
    expect(steps[4]!.size).toBe(users.length);
    expect(at(0).size).toBe(0);
  });

  it('buckets differently per experiment', () => {
    const a = users.slice(0, 2000).filter((u) => inCandidateBucket('exp-a', u, 5000));
    const b = new Set(users.slice(0, 2000).filter((u) => inCandidateBucket('exp-b', u, 5000)));
    const overlap = a.filter((u) => b.has(u)).length / a.length;
    expect(overlap).toBeGreaterThan(0.4);
    expect(overlap).toBeLessThan(0.6);
  });
});
