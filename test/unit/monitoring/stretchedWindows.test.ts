import type { Verdict } from '../../../src/monitoring/detectors';
import { firstFiring, windowStarts } from '../../../src/monitoring/stretchedWindows';

describe('stretched windows', () => {
  it('doubles the window up to the stretch', () => {
    const now = new Date('2026-12-02T12:00:00Z');
    expect(windowStarts({ window_minutes: 20, stretch: 8 }, now).map((d) => d.toISOString().slice(11, 16))).toEqual([
      '11:40',
      '11:20',
      '10:40',
      '09:20',
    ]);
    expect(windowStarts({ window_minutes: 20, stretch: 1 }, now)).toHaveLength(1);
  });

  it('takes the first window that fires, else the shortest that could judge', () => {
    const low: Verdict = { state: 'low_volume', reason: 'few', numbers: {} };
    const ok: Verdict = { state: 'ok', numbers: { n: 1 } };
    const fire: Verdict = { state: 'fire', reason: 'drop', numbers: {} };
    expect(firstFiring([low, ok, fire])).toBe(fire);
    expect(firstFiring([low, ok, { state: 'ok', numbers: { n: 2 } }])).toBe(ok);
    expect(firstFiring([low, low])).toBe(low);
  });
});
