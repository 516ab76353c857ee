import { drillFreshness } from '../../../src/drills/drillOverdue';

const day = 86_400_000;
const now = new Date('2026-12-03T12:00:00Z');
const ago = (days: number) => new Date(now.getTime() - days * day);

describe('drillFreshness', () => {
  it('says nothing where no drill ever ran (an installation that never drilled is not nagged)', () => {
    expect(drillFreshness({ firstDrillAt: null, lastPassed: new Map() }, now)).toEqual([]);
  });

  it('raises a ticket for a kind not passed in 92 days, and keeps a recent one in bounds', () => {
    const verdicts = drillFreshness(
      {
        firstDrillAt: ago(400),
        lastPassed: new Map([
          ['provider-kill', ago(93)],
          ['prompt-rollback', ago(91)],
        ]),
      },
      now,
    );
    expect(verdicts).toEqual([
      {
        key: 'drill-overdue:kind=provider-kill',
        firing: expect.objectContaining({
          ruleId: 'drill-overdue',
          severity: 'ticket',
          numbers: { days: 93 },
          summary: expect.stringMatching(
            /provider-kill drill has not passed in 93 days .*flightdeck drill run provider-kill/,
          ),
        }),
      },
      { key: 'drill-overdue:kind=prompt-rollback' },
    ]);
  });

  it('counts a kind that never passed from the first drill run here', () => {
    const [kill, rollback] = drillFreshness(
      { firstDrillAt: ago(100), lastPassed: new Map([['prompt-rollback', ago(1)]]) },
      now,
    );
    expect(kill!.firing?.summary).toMatch(/never passed in 100 days/);
    expect(rollback!.firing).toBeUndefined();
    expect(drillFreshness({ firstDrillAt: ago(30), lastPassed: new Map() }, now).every((v) => !v.firing)).toBe(true);
  });
});
