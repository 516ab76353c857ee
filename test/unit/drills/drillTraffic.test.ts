import { summarizeTraffic } from '../../../src/drills/drillTraffic';

describe('summarizeTraffic', () => {
  it('counts failures before and after the backup first answered, and who served', () => {
    const summary = summarizeTraffic(
      [
        { at: 10, status: 503 },
        { at: 200, status: 0 },
        { at: 400, model: 'backup', status: 200 },
        { at: 600, status: 503 },
        { at: 800, model: 'backup', status: 200 },
        { at: 900, model: 'primary', status: 200 },
      ],
      'backup',
    );
    expect(summary).toEqual({
      sent: 6,
      failed: 3,
      failedAfterBackup: 1,
      firstBackupAt: 400,
      lastFailureAt: 600,
      servedBy: { backup: 2, primary: 1 },
    });
  });

  it('leaves the backup time out when the backup never answered', () => {
    expect(summarizeTraffic([{ at: 5, status: 503 }], 'backup')).toEqual({
      sent: 1,
      failed: 1,
      failedAfterBackup: 0,
      lastFailureAt: 5,
      servedBy: {},
    });
  });
});
