import { cohortsFor } from '../../../src/release/rolloutRouting';

describe('rollout routing', () => {
  it('widens cohorts with the weight: free, then smb, then enterprise (opted in)', () => {
    expect([100, 499, 500, 2499, 2500, 10000].map((w) => cohortsFor(w).join('+'))).toEqual([
      'free',
      'free',
      'free+smb',
      'free+smb',
      'free+smb+enterprise',
      'free+smb+enterprise',
    ]);
  });
});
