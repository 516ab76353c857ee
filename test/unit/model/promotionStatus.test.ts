import { promotionDetails, type PromotionStatus } from '../../../src/model/promotionStatus';

const status: PromotionStatus = {
  workflowId: 'promotion/faq/1.1.0',
  prompt: 'faq',
  version: '1.1.0',
  baselineVersion: '1.0.0',
  datasetHash: 'abc',
  stage: 'rolling-out',
  passRate: 0.9,
  gate: { passed: true, checks: [{ metric: 'pass_rate', kind: 'floor', limit: 0.8, actual: 0.9, passed: true }] },
  history: [
    { stage: 'evaluating-baseline', at: '2026-01-01T00:00:00Z' },
    { stage: 'evaluating', at: '2026-01-01T00:01:00Z' },
    { stage: 'rolling-out', at: '2026-01-01T00:02:00Z' },
  ],
};

describe('promotion status for the UI', () => {
  it('renders a details table with stage, pass rate, floors and verdict', () => {
    const details = promotionDetails(status);
    expect(details).toContain('| eval candidate | 1.1.0: pass rate 90.0% (floors pass_rate ≥ 0.8) |');
    expect(details).toContain('| gate | ✅ passed |');
    expect(details).toContain('| canary | ⏳ live: `flightdeck rollout status faq` |');
    expect(details).toContain('| production | – |');
    expect(promotionDetails({ ...status, stage: 'promoted' })).toContain('| production | ✅ 1.1.0 |');
    expect(promotionDetails({ ...status, stage: 'rolled-back' })).toContain('| production | ↩ stays 1.0.0 |');
    expect(promotionDetails({ ...status, skipEval: true, gate: undefined })).toContain(
      '| gate | ⏭ skipped (emergency fix, audited) |',
    );
  });

  it('names the failing metrics when the gate fails', () => {
    const failed = promotionDetails({
      ...status,
      stage: 'rejected',
      gate: { passed: false, checks: [{ metric: 'rubric', kind: 'floor', limit: 0.7, actual: 0.5, passed: false }] },
    });
    expect(failed).toContain('| gate | ❌ failed: rubric |');
    const twice = promotionDetails({
      ...status,
      gate: {
        passed: false,
        checks: [
          { metric: 'pass_rate', kind: 'floor', limit: 0.8, actual: 0.4, passed: false },
          { metric: 'pass_rate', kind: 'regression', limit: -0.05, actual: -0.5, passed: false },
        ],
      },
    });
    expect(twice).toContain('| gate | ❌ failed: pass_rate |');
  });
});
