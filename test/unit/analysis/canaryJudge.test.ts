import { DEFAULT_RULES, judgeWindow, SHADOW_RULES, type VariantWindow } from '../../../src/analysis/canaryJudge';
import { window } from '../../fixtures/canaryWindows';
import { Random } from '../../../src/simulator/random';

interface Shape {
  n: number;
  errorRate?: number;
  refusalRate?: number;
  latencyScale?: number;
  judgeMean?: number;
  costScale?: number;
}

/** A window of n requests drawn from a fixed, seeded distribution, changed only where the shape says. */
function windowOf(shape: Shape, seed: number): VariantWindow {
  const random = new Random(seed);
  const latencies: number[] = [];
  const ttfts: number[] = [];
  const costs: number[] = [];
  const scores: number[] = [];
  let errors = 0;
  let refusals = 0;
  for (let i = 0; i < shape.n; i++) {
    if (random.next() < (shape.errorRate ?? 0.01)) errors++;
    if (random.next() < (shape.refusalRate ?? 0.02)) refusals++;
    const latency = (400 + 300 * -Math.log(1 - random.next())) * (shape.latencyScale ?? 1);
    latencies.push(latency);
    ttfts.push(latency * 0.3);
    costs.push((0.001 + 0.0005 * random.next()) * (shape.costScale ?? 1));
    scores.push(Math.min(1, Math.max(0, (shape.judgeMean ?? 0.8) + 0.1 * (random.next() - 0.5))));
  }
  return {
    requests: shape.n,
    errors,
    refusals,
    guardrailBlocks: 0,
    negativeFeedback: Math.round(shape.n * 0.02),
    feedback: shape.n,
    latenciesMs: latencies,
    ttftsMs: ttfts,
    costsUsd: costs,
    judgeScores: scores,
    outputChars: latencies.map((l) => Math.round(l)),
    invalidJson: 0,
  };
}

const failing = (verdict: ReturnType<typeof judgeWindow>) =>
  verdict.metrics.filter((m) => m.verdict === 'fail').map((m) => m.metric);

describe('canary judge (one analysis window)', () => {
  it('passes a canary drawn from the same distribution as the baseline', () => {
    const verdict = judgeWindow(windowOf({ n: 1000 }, 1), windowOf({ n: 1000 }, 2));
    expect(verdict.verdict).toBe('pass');
    expect(verdict.metrics.every((m) => m.pValue !== null)).toBe(true);
  });

  it('calls too little data inconclusive, never a pass', () => {
    const verdict = judgeWindow(windowOf({ n: 15, errorRate: 0 }, 1), windowOf({ n: 1000 }, 2));
    expect(verdict.verdict).toBe('inconclusive');
    expect(verdict.metrics.find((m) => m.metric === 'error_rate')).toMatchObject({
      verdict: 'inconclusive',
      reason: expect.stringContaining('too few samples'),
    });
  });

  it('fails an error rate 3 points worse, naming the metric and its numbers', () => {
    const verdict = judgeWindow(windowOf({ n: 2000, errorRate: 0.04 }, 3), windowOf({ n: 2000, errorRate: 0.01 }, 4));
    expect(verdict.verdict).toBe('fail');
    expect(failing(verdict)).toEqual(['error_rate']);
    const errorRate = verdict.metrics.find((m) => m.metric === 'error_rate')!;
    expect(errorRate.canary).toBeGreaterThan(errorRate.baseline! + 0.02);
    expect(errorRate.pValue).toBeLessThan(0.01);
  });

  it('fails at once when the canary passes an absolute guard, even on little data', () => {
    const canary = windowOf({ n: 30, errorRate: 0.3 }, 5);
    const verdict = judgeWindow(canary, windowOf({ n: 30, errorRate: 0.3 }, 6));
    expect(verdict.metrics.find((m) => m.metric === 'error_rate')).toMatchObject({
      verdict: 'fail',
      reason: expect.stringContaining('absolute limit'),
    });
  });

  it('fails latency 50% slower (median and tail) and a judge score 10% lower; tolerates 5% slower', () => {
    expect(failing(judgeWindow(windowOf({ n: 1000, latencyScale: 1.5 }, 7), windowOf({ n: 1000 }, 8)))).toEqual(
      expect.arrayContaining(['latency_p50', 'latency_p99', 'ttft']),
    );
    expect(failing(judgeWindow(windowOf({ n: 1000, judgeMean: 0.72 }, 9), windowOf({ n: 1000 }, 10)))).toEqual([
      'judge_score',
    ]);
    expect(judgeWindow(windowOf({ n: 1000, latencyScale: 1.05 }, 11), windowOf({ n: 1000 }, 12)).verdict).toBe('pass');
    expect(failing(judgeWindow(windowOf({ n: 1000, costScale: 1.5 }, 13), windowOf({ n: 1000 }, 14)))).toEqual([
      'cost_per_request',
    ]);
  });

  it('rarely fails a healthy canary (false aborts across many windows)', () => {
    let fails = 0;
    for (let i = 0; i < 100; i++)
      if (judgeWindow(windowOf({ n: 500 }, 100 + 2 * i), windowOf({ n: 500 }, 101 + 2 * i)).verdict === 'fail') fails++;
    expect(fails).toBeLessThanOrEqual(2);
  });
});

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
    const failing = (w: VariantWindow) =>
      judgeWindow(w, stable, SHADOW_RULES)
        .metrics.filter((m) => m.verdict === 'fail')
        .map((m) => m.metric);
    expect(failing(window(300, 6, { length: 150 }))).toEqual(['output_length']);
    expect(failing(window(300, 7, { length: 600 }))).toEqual(['output_length']);
    expect(failing(window(300, 8, { length: 310 }))).toEqual([]);
    expect(SHADOW_RULES.map((r) => r.metric)).not.toContain('negative_feedback_rate');
    expect(DEFAULT_RULES.filter((r) => !r.optional).map((r) => r.metric)).toEqual([
      'error_rate',
      'refusal_rate',
      'guardrail_block_rate',
      'latency_p50',
      'cost_per_request',
    ]);
  });
});
