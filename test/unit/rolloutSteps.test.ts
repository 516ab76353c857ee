import { InputError } from '../../src/errors';
import { decideStep, tally, type StepTally } from '../../src/release/analysisPolicy';
import { DEFAULT_STEPS, parseSteps } from '../../src/release/rolloutSteps';

describe('rollout steps', () => {
  it('parses percentages, holds, approval gates and a leading shadow step', () => {
    expect(parseSteps('shadow:10m, 1:30s, 5:1.5h, 50:approve, 100')).toEqual([
      { weightBp: 0, holdMs: 600_000, shadow: true },
      { weightBp: 100, holdMs: 30_000 },
      { weightBp: 500, holdMs: 5_400_000 },
      { weightBp: 5000, holdMs: null },
      { weightBp: 10_000, holdMs: 0 },
    ]);
    expect(DEFAULT_STEPS.map((s) => s.weightBp)).toEqual([100, 500, 2500, 5000, 10_000]);
  });

  it.each([
    ['', /empty/],
    ['5:10m,1:10m,100', /must grow/],
    ['1:10m,50:10m', /must end at 100/],
    ['1:10 minutes,100', /not a duration/],
    ['0:10m,100', /above 0/],
    ['1:10m,shadow:5m,100', /shadow step can only be the first/],
    ['150', /at most 100/],
  ])('refuses %j', (text, message) => {
    expect(() => parseSteps(text)).toThrow(InputError);
    expect(() => parseSteps(text)).toThrow(message);
  });
});

describe('analysis policy', () => {
  const run = (verdicts: Array<'pass' | 'fail' | 'inconclusive'>, holdOver = false, limits = { failureLimit: 2, inconclusiveLimit: 2 }) => {
    let state: StepTally = { failures: 0, inconclusiveInARow: 0 };
    for (const verdict of verdicts) state = tally(state, verdict);
    return decideStep(state, holdOver, limits);
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
