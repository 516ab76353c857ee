import { analysisWindowStart, holdIsOver, waitBeforeAnalysis } from '../../../src/model/rolloutHold';
import { ANALYSIS_LOOKBACK_INTERVALS } from '../../../src/model/rolloutOptions';
import type { StepProgress } from '../../../src/model/rolloutStatus';

const MINUTE = 60_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(ms).toISOString();
const timed: StepProgress = {
  weightBp: 1000,
  holdMs: 10 * MINUTE,
  state: 'holding',
  verdicts: [],
  startedAt: at(T0),
  effectiveAt: at(T0 + 1000),
};
const approval: StepProgress = { ...timed, holdMs: null };

describe("a step's hold", () => {
  it('a timed hold is over once its time has passed', () => {
    expect(holdIsOver(timed, T0 + 10 * MINUTE - 1)).toBe(false);
    expect(holdIsOver(timed, T0 + 10 * MINUTE)).toBe(true);
  });

  it('an approval hold is over once someone approved, whatever the time', () => {
    expect(holdIsOver(approval, T0 + 1000 * MINUTE)).toBe(false);
    expect(holdIsOver({ ...approval, approvedBy: 'alice' }, T0)).toBe(true);
  });

  it('waits one interval, less when the hold ends sooner, one interval again once it is over', () => {
    expect(waitBeforeAnalysis(timed, 2 * MINUTE, T0)).toBe(2 * MINUTE);
    expect(waitBeforeAnalysis(timed, 2 * MINUTE, T0 + 9 * MINUTE)).toBe(MINUTE);
    expect(waitBeforeAnalysis(timed, 2 * MINUTE, T0 + 10 * MINUTE)).toBe(2 * MINUTE);
    expect(waitBeforeAnalysis(timed, 2 * MINUTE, T0 + 10 * MINUTE - 1)).toBe(1);
    expect(waitBeforeAnalysis(approval, 2 * MINUTE, T0)).toBe(2 * MINUTE);
  });

  it('reads from when the routing took effect, but at most the last intervals', () => {
    expect(analysisWindowStart(timed, MINUTE, T0 + 5 * MINUTE)).toBe(at(T0 + 1000));
    const late = T0 + 100 * MINUTE;
    expect(analysisWindowStart(timed, MINUTE, late)).toBe(at(late - ANALYSIS_LOOKBACK_INTERVALS * MINUTE));
  });
});
