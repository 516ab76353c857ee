import {
  failureReason,
  initialRolloutStatus,
  KEPT_ANALYSES,
  recordAnalysis,
  rolloutDetails,
  holdSummary,
  rolloutSummaryLine,
} from '../../../src/model/rolloutStatus';
import { parseSteps } from '../../../src/model/rolloutSteps';

describe('rollout state for people and the UI', () => {
  const status = initialRolloutStatus({
    workflowId: 'rollout/faq',
    prompt: 'faq',
    version: '1.1.0',
    baselineVersion: '1.0.0',
    steps: parseSteps('shadow:10m,5:30s,50:approve,100'),
  });

  it('renders the steps, the last analysis with its numbers, and one summary line', () => {
    status.stage = 'canary';
    status.stepIndex = 1;
    status.weightBp = 500;
    status.steps[0]!.state = 'passed';
    status.steps[1]!.state = 'holding';
    const metric = {
      metric: 'error_rate' as const,
      verdict: 'fail' as const,
      canary: 0.08,
      baseline: 0.01,
      pValue: 0.0004,
      reason: 'worse',
    };
    for (let i = 0; i < KEPT_ANALYSES + 2; i++)
      recordAnalysis(status, {
        at: '2026-01-01T00:00:00Z',
        stepIndex: 1,
        verdict: 'pass',
        canaryRequests: 10,
        baselineRequests: 200,
        notable: [],
      });
    recordAnalysis(status, {
      at: '2026-01-01T00:01:00Z',
      stepIndex: 1,
      verdict: 'fail',
      canaryRequests: 120,
      baselineRequests: 2400,
      notable: [metric],
    });
    expect(status.analyses).toHaveLength(KEPT_ANALYSES);
    expect(status.steps[1]!.verdicts).toHaveLength(KEPT_ANALYSES + 3);
    const details = rolloutDetails(status);
    // Stage, weight and the last verdict first, as a list; the steps in an aligned code block.
    expect(details.split('\n').slice(0, 4)).toEqual([
      '**faq@1.1.0: canary at 5%**',
      '',
      '- Stage: **canary**',
      '- Weight: **5%** of traffic on 1.1.0 (baseline 1.0.0)',
    ]);
    expect(details).toContain(
      '- Last analysis: **fail** on 120 canary / 2400 baseline requests; error_rate fail: canary 0.080 vs 0.010 (p=0.00040)',
    );
    expect(details).toContain(
      [
        '```',
        '#  weight  hold            state    verdicts',
        '1  shadow  10 min          passed   -',
        '2  5%      30 s            holding  7 pass, 1 fail, 0 inconclusive',
        '3  50%     until approved  pending  -',
        '4  100%    -               pending  -',
        '```',
      ].join('\n'),
    );
    expect(details).not.toMatch(/[|]|\p{Extended_Pictographic}/u);
    expect(rolloutSummaryLine(status)).toBe('faq@1.1.0 (baseline 1.0.0): canary, step 2/4 at 5%');
    expect(holdSummary(status)).toBe('canary at 5%, step 2 of 4 (5%): next analysis');
    expect(failureReason(status.analyses.at(-1)!)).toBe(
      'analysis failed at step 2 (120 canary / 2400 baseline requests): error_rate fail: canary 0.080 vs 0.010 (p=0.00040)',
    );
  });
});
