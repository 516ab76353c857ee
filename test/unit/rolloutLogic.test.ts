import { abReport } from '../../src/analysis/abReport';
import { DEFAULT_RULES, judgeWindow, SHADOW_RULES, type VariantWindow } from '../../src/analysis/canaryJudge';
import { contentHash } from '../../src/registry/contentHash';
import { parsePromptFile } from '../../src/registry/promptFile';
import { cohortsFor } from '../../src/release/rolloutRouting';
import { failureReason, initialRolloutStatus, KEPT_ANALYSES, recordAnalysis, rolloutDetails, rolloutSummaryLine } from '../../src/release/rolloutStatus';
import { parseDuration, parseSteps } from '../../src/release/rolloutSteps';
import { webhookBody } from '../../src/release/rolloutWebhook';
import { Random } from '../../src/simulator/random';

/** n requests: a fixed error rate, exponential-ish latency, cost, judge score and length, seeded. */
function window(n: number, seed: number, shape: { errorRate?: number; cost?: number; length?: number; judge?: number; feedback?: boolean } = {}): VariantWindow {
  const random = new Random(seed);
  const values = (f: () => number) => Array.from({ length: n }, f);
  return {
    requests: n,
    errors: Math.round(n * (shape.errorRate ?? 0.01)),
    refusals: Math.round(n * 0.01),
    guardrailBlocks: 0,
    negativeFeedback: shape.feedback ? Math.round(n * 0.05) : 0,
    feedback: shape.feedback ? n : 0,
    latenciesMs: values(() => 200 + 100 * -Math.log(1 - random.next())),
    ttftsMs: [],
    costsUsd: values(() => (shape.cost ?? 0.001) * (0.8 + 0.4 * random.next())),
    judgeScores: shape.judge === undefined ? [] : values(() => Math.min(1, Math.max(0, shape.judge! + 0.2 * (random.next() - 0.5)))),
    outputChars: values(() => (shape.length ?? 300) * (0.7 + 0.6 * random.next())),
    invalidJson: 0,
  };
}

describe('canary judge: optional metrics and the shadow rules', () => {
  it('passes a healthy window with no feedback, no judge samples and no streams (optional metrics do not hold it)', () => {
    const verdict = judgeWindow(window(500, 1), window(500, 2));
    expect(verdict.verdict).toBe('pass');
    expect(verdict.metrics.find((m) => m.metric === 'judge_score')?.verdict).toBe('inconclusive');
    expect(verdict.metrics.find((m) => m.metric === 'ttft')?.verdict).toBe('inconclusive');
  });

  it('still fails an optional metric whose data says worse', () => {
    const verdict = judgeWindow(window(500, 3, { judge: 0.6 }), window(500, 4, { judge: 0.8 }));
    expect(verdict.verdict).toBe('fail');
    expect(verdict.metrics.filter((m) => m.verdict === 'fail').map((m) => m.metric)).toEqual(['judge_score']);
  });

  it('shadow rules flag answers much shorter or much longer, but not a similar length', () => {
    const stable = window(300, 5);
    const failing = (w: VariantWindow) => judgeWindow(w, stable, SHADOW_RULES).metrics.filter((m) => m.verdict === 'fail').map((m) => m.metric);
    expect(failing(window(300, 6, { length: 150 }))).toEqual(['output_length']);
    expect(failing(window(300, 7, { length: 600 }))).toEqual(['output_length']);
    expect(failing(window(300, 8, { length: 310 }))).toEqual([]);
    expect(SHADOW_RULES.map((r) => r.metric)).not.toContain('negative_feedback_rate');
    expect(DEFAULT_RULES.filter((r) => !r.optional).map((r) => r.metric)).toEqual(['error_rate', 'refusal_rate', 'guardrail_block_rate', 'latency_p50', 'cost_per_request']);
  });
});

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
    expect(abReport(window(3000, 12, { errorRate: 0.01 }), window(3000, 13, { errorRate: 0.04 })).find((l) => l.metric === 'error_rate')!.verdict).toBe('B worse');
    const early = abReport(window(60, 14), window(60, 15, { cost: 0.00095 })).find((l) => l.metric === 'cost_per_request')!;
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
        const line = abReport(window(n, e * 1000 + 1), window(n, e * 1000 + 2)).find((l) => l.metric === 'cost_per_request')!;
        if (line.verdict === 'B better' || line.verdict === 'B worse') {
          falseCalls++;
          break;
        }
      }
    }
    expect(falseCalls / experiments).toBeLessThanOrEqual(0.05);
  });
});

describe('rollout state for people and the UI', () => {
  const status = initialRolloutStatus({ workflowId: 'rollout/faq', prompt: 'faq', version: '1.1.0', baselineVersion: '1.0.0', steps: parseSteps('shadow:10m,5:30s,50:approve,100') });

  it('renders the steps, the last analysis with its numbers, and one summary line', () => {
    status.stage = 'canary';
    status.stepIndex = 1;
    status.weightBp = 500;
    status.steps[0]!.state = 'passed';
    status.steps[1]!.state = 'holding';
    const metric = { metric: 'error_rate' as const, verdict: 'fail' as const, canary: 0.08, baseline: 0.01, pValue: 0.0004, reason: 'worse' };
    for (let i = 0; i < KEPT_ANALYSES + 2; i++) recordAnalysis(status, { at: '2026-01-01T00:00:00Z', stepIndex: 1, verdict: 'pass', canaryRequests: 10, baselineRequests: 200, notable: [] });
    recordAnalysis(status, { at: '2026-01-01T00:01:00Z', stepIndex: 1, verdict: 'fail', canaryRequests: 120, baselineRequests: 2400, notable: [metric] });
    expect(status.analyses).toHaveLength(KEPT_ANALYSES);
    expect(status.steps[1]!.verdicts).toHaveLength(KEPT_ANALYSES + 3);
    const details = rolloutDetails(status);
    expect(details).toContain('| 1 | shadow | 10 min | ✅ passed | – |');
    expect(details).toContain('| 2 | 5% | 30 s | ⏳ holding | 7 pass · 1 fail · 0 inconclusive |');
    expect(details).toContain('| 3 | 50% | until approved | · pending | – |');
    expect(details).toContain('Last analysis: **fail** on 120 canary / 2400 baseline requests; error_rate fail: canary 0.080 vs 0.010 (p=0.00040)');
    expect(rolloutSummaryLine(status)).toBe('faq@1.1.0 (baseline 1.0.0): canary, step 2/4 at 5%');
    expect(failureReason(status.analyses.at(-1)!)).toBe('analysis failed at step 2 (120 canary / 2400 baseline requests): error_rate fail: canary 0.080 vs 0.010 (p=0.00040)');
  });

  it('widens cohorts with the weight: free, then smb, then enterprise (opted in)', () => {
    expect([100, 499, 500, 2499, 2500, 10000].map((w) => cohortsFor(w).join('+'))).toEqual(['free', 'free', 'free+smb', 'free+smb', 'free+smb+enterprise', 'free+smb+enterprise']);
  });

  it('posts Slack-compatible JSON', () => {
    const body = webhookBody({ kind: 'abort', prompt: 'faq', version: '1.1.0', text: 'rolled back to 1.0.0: error rate', workflowId: 'rollout/faq' });
    expect(body.text).toBe(':rotating_light: *faq@1.1.0* rolled back to 1.0.0: error rate (`rollout/faq`)');
    expect(body.flightdeck.kind).toBe('abort');
  });

  it('reads durations and a prompt file\'s rollout policy, which is not part of the content hash', () => {
    expect(['30s', '10m', '1.5h', '2d', '10', 'm'].map(parseDuration)).toEqual([30_000, 600_000, 5_400_000, 172_800_000, undefined, undefined]);
    const base = 'name: p\nversion: 1.0.0\nowner: t\nmodel: gpt-4o-mini-2024-07-18\ntemplate: { user: hi }\n';
    const withPolicy = parsePromptFile(`${base}rollout: { steps: "1:10m,50:approve,100", analysis_interval: 30s }\n`, 'p.yaml');
    expect(withPolicy.spec.rollout).toEqual({ steps: '1:10m,50:approve,100', analysis_interval: '30s' });
    expect(contentHash(withPolicy.spec)).toBe(contentHash(parsePromptFile(base, 'p.yaml').spec));
    expect(() => parsePromptFile(`${base}rollout: { steps: "5:1m,1:1m,100" }\n`, 'p.yaml')).toThrow(/rollout.steps.*weights must grow/s);
    expect(() => parsePromptFile(`${base}rollout: { analysis_interval: 10 }\n`, 'p.yaml')).toThrow(/analysis_interval/);
  });
});
