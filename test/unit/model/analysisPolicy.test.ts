import { stepOutcome, tally, type StepTally } from '../../../src/model/analysisPolicy';

describe('analysis policy', () => {
  const run = (
    verdicts: Array<'pass' | 'fail' | 'inconclusive'>,
    holdOver = false,
    limits = { failureLimit: 2, inconclusiveLimit: 2 },
  ) => {
    let state: StepTally = { failures: 0, inconclusiveInARow: 0 };
    for (const verdict of verdicts) state = tally(state, verdict);
    return stepOutcome(state, holdOver, limits);
  };

  it('advances only after the hold, on a passing last window', () => {
    expect(run(['pass', 'pass'], false)).toBe('continue');
    expect(run(['pass', 'pass'], true)).toBe('advance');
    expect(run(['pass', 'inconclusive'], true)).toBe('continue');
    expect(run([], true)).toBe('continue'); // no analysis yet is not a pass
  });

  it('aborts at the failure limit, counting failures across the step', () => {
    expect(run(['fail', 'pass'], true)).toBe('advance');
    expect(run(['fail', 'pass', 'fail'], true)).toBe('abort');
  });

  it('pauses for a human beyond the inconclusive limit in a row', () => {
    expect(run(['inconclusive', 'inconclusive'])).toBe('continue');
    expect(run(['inconclusive', 'inconclusive', 'inconclusive'])).toBe('pause');
    expect(run(['inconclusive', 'inconclusive', 'pass', 'inconclusive'])).toBe('continue');
  });
});
