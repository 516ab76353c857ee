import { allSeasonsAgree, inSeason, seasonsOf } from '../../../src/monitoring/seasonality';
import type { Verdict } from '../../../src/monitoring/detectors';

const at = (iso: string) => new Date(iso);

describe('seasonality', () => {
  it('places a window in the hours it spans, weekday or weekend', () => {
    // 2026-12-02 is a Wednesday, 2026-12-05 a Saturday.
    expect(seasonsOf(at('2026-12-02T10:00:00Z'), at('2026-12-02T11:00:00Z'))).toEqual([{ hour: 10, weekend: false }]);
    expect(seasonsOf(at('2026-12-02T09:40:00Z'), at('2026-12-02T10:10:00Z'))).toEqual([
      { hour: 9, weekend: false },
      { hour: 10, weekend: false },
    ]);
    expect(seasonsOf(at('2026-12-04T23:50:00Z'), at('2026-12-05T00:20:00Z'))).toEqual([
      { hour: 23, weekend: false },
      { hour: 0, weekend: true },
    ]);
    expect(inSeason(at('2026-11-25T10:30:00Z'), { hour: 10, weekend: false })).toBe(true);
    expect(inSeason(at('2026-11-29T10:30:00Z'), { hour: 10, weekend: false })).toBe(false);
  });

  it('fires only when every season it spans says spike, and is undecided when one cannot judge', () => {
    const fire: Verdict = { state: 'fire', reason: 'x', numbers: {} };
    const ok: Verdict = { state: 'ok', numbers: {} };
    const noData: Verdict = { state: 'no_data', reason: 'y', numbers: {} };
    expect(allSeasonsAgree([fire, fire]).state).toBe('fire');
    expect(allSeasonsAgree([fire, ok]).state).toBe('ok');
    expect(allSeasonsAgree([fire, noData]).state).toBe('no_data');
    expect(allSeasonsAgree([ok]).state).toBe('ok');
  });
});
