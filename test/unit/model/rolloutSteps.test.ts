import { InputError } from '../../../src/errors';
import { DEFAULT_STEPS, parseSteps } from '../../../src/model/rolloutSteps';

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
