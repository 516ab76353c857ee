import { checkLines, checksPassed, drillDetails } from '../../../src/model/drillReport';
import type { DrillView } from '../../../src/model/drill';

const checks = [
  { name: 'mitigated', passed: true, seconds: 0.62, detail: 'calls go to the backup first' },
  { name: 'recovered', passed: false, detail: 'the incident is still mitigated' },
];

describe('drill report', () => {
  it('prints each check as PASS or FAIL with its timing', () => {
    expect(checkLines(checks)).toEqual([
      'PASS  mitigated (0.6 s): calls go to the backup first',
      'FAIL  recovered: the incident is still mitigated',
    ]);
  });

  it('passes only when there are checks and every one passed', () => {
    expect(checksPassed([])).toBe(false);
    expect(checksPassed(checks)).toBe(false);
    expect(checksPassed([checks[0]!])).toBe(true);
  });

  it('shows the UI a list (no table, no glyphs) and a hostile detail only as text in a list item', () => {
    const view: DrillView = {
      workflowId: 'drill/provider-kill/x',
      kind: 'provider-kill',
      tenant: 'flightdeck-drills',
      dryRun: false,
      status: 'failed',
      step: 'recover',
      checks,
      summary: 'a check failed',
    };
    const details = drillDetails(view);
    expect(details).toContain('- status: **failed**');
    expect(details).toContain('- FAIL  recovered: the incident is still mitigated');
    expect(details).not.toMatch(/\|/);
    expect(details).not.toMatch(/[^\x00-\x7f]/);
  });
});
