import { abReport } from '../../../src/analysis/abReport';
import { window } from '../../fixtures/canaryWindows';

describe('A/B report (mSPRT per metric)', () => {
  it('finds a 30% cheaper B, with an interval below zero, and says nothing else changed', () => {
    const lines = abReport(window(2000, 10), window(2000, 11, { cost: 0.0007 }));
    const cost = lines.find((l) => l.metric === 'cost_per_request')!;
    expect(cost.verdict).toBe('B better');
    expect(cost.effect).toBeCloseTo(-0.0003, 4);
    expect(cost.interval![0]).toBeLessThan(cost.effect!);
    expect(cost.interval![1]).toBeLessThan(0);
    expect(cost.moreSamplesNeeded).toBeNull();
    expect(lines.find((l) => l.metric === 'latency_mean')!.verdict).not.toMatch(/B better|B worse/);
  });

  it('calls a worse error rate worse, and says how many more samples are needed when it is too early', () => {
    expect(
      abReport(window(3000, 12, { errorRate: 0.01 }), window(3000, 13, { errorRate: 0.04 })).find(
        (l) => l.metric === 'error_rate',
      )!.verdict,
    ).toBe('B worse');
    const early = abReport(window(60, 14), window(60, 15, { cost: 0.00095 })).find(
      (l) => l.metric === 'cost_per_request',
    )!;
    expect(early.verdict).toBe('too early');
    expect(early.moreSamplesNeeded).toBeGreaterThan(0);
    expect(abReport(window(10, 16), window(10, 17)).every((l) => l.verdict === 'too early')).toBe(true);
  });

  it('stays valid under daily looks: A/A experiments rarely call a winner at any look', () => {
    let falseCalls = 0;
    const experiments = 100;
    for (let e = 0; e < experiments; e++) {
      for (let day = 1; day <= 10; day++) {
        const n = day * 100;
        const line = abReport(window(n, e * 1000 + 1), window(n, e * 1000 + 2)).find(
          (l) => l.metric === 'cost_per_request',
        )!;
        if (line.verdict === 'B better' || line.verdict === 'B worse') {
          falseCalls++;
          break;
        }
      }
    }
    expect(falseCalls / experiments).toBeLessThanOrEqual(0.05);
  });
});
