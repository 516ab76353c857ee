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
  it('renders details as a list (no table, no emoji) with stage, pass rate, floors and verdict', () => {
    const details = promotionDetails(status);
    expect(details).toContain('- Eval candidate: 1.1.0: pass rate 90.0% (floors pass_rate ≥ 0.8)');
    expect(details).toContain('- Gate: **passed**');
    expect(details).toContain('- Canary: **live: `flightdeck rollout status faq`**');
    expect(details).toContain('- Production: -');
    expect(details).not.toMatch(/[|]|\p{Extended_Pictographic}/u);
    expect(promotionDetails({ ...status, stage: 'promoted' })).toContain('- Production: now 1.1.0');
    expect(promotionDetails({ ...status, stage: 'rolled-back' })).toContain('- Production: stays 1.0.0');
    expect(promotionDetails({ ...status, skipEval: true, gate: undefined })).toContain(
      '- Gate: **skipped (emergency fix, audited)**',
    );
  });

  it('names the failing metrics when the gate fails', () => {
    const failed = promotionDetails({
      ...status,
      stage: 'rejected',
      gate: { passed: false, checks: [{ metric: 'rubric', kind: 'floor', limit: 0.7, actual: 0.5, passed: false }] },
    });
    expect(failed).toContain('- Gate: **failed: rubric**');
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
    expect(twice).toContain('- Gate: **failed: pass_rate**');
  });
});
