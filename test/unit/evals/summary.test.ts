import { summarize } from '../../../src/evals/summary';
import { result } from '../../fixtures/caseResults';

const good = [result('a', true, 0.9), result('b', true, 0.8), result('c', true, 0.95), result('d', false, 0.4)];

describe('summaries and the gate', () => {
  it('summarises pass rate, score and each assertion metric', () => {
    const s = summarize(good);
    expect(s.metrics.pass_rate!.mean).toBe(0.75);
    expect(s.metrics.rubric!.mean).toBeCloseTo((0.9 + 0.8 + 0.95 + 0.4) / 4, 10);
    expect(s.metrics.icontains!.mean).toBe(0.75);
    expect(s.failures).toEqual([{ caseId: 'd', reasons: ['icontains: ', 'rubric: '] }]);
    expect(s.judgeAgreement).toMatchObject({ samples: 2 });
    expect(s.judgeAgreement!.agreement).toBeCloseTo(1 / 4, 10); // a, b and c flip across 0.7 between samples; d does not
  });
});
