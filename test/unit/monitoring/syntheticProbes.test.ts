import type { EvalCase } from '../../../src/evals/dataset';
import { probeCases, probeVerdicts, type ProbeResult } from '../../../src/monitoring/syntheticProbes';

const kase = (id: string, tags: string[] = []): EvalCase => ({
  id,
  vars: {},
  tags,
  assertions: [
    { type: 'icontains', value: 'x', metric: 'icontains', weight: 1 } as never,
    { type: 'rubric', value: 'y', metric: 'rubric', weight: 1 } as never,
  ],
});

describe('probeCases', () => {
  it('takes the probe-tagged cases, else the first three, keeping only the checks a judge is not needed for', () => {
    const cases = [kase('a'), kase('b', ['probe']), kase('c'), kase('d'), kase('e', ['probe'])];
    expect(probeCases(cases).map((c) => c.id)).toEqual(['b', 'e']);
    const untagged = probeCases([kase('a'), kase('b'), kase('c'), kase('d')]);
    expect(untagged.map((c) => c.id)).toEqual(['a', 'b', 'c']);
    expect(untagged[0]!.assertions.map((a) => a.type)).toEqual(['icontains']);
  });
});

describe('probeVerdicts', () => {
  const result = (prompt: string, passed: boolean, latencyMs = 100): ProbeResult => ({
    prompt,
    caseId: `${prompt}-case`,
    gateway: 'http://gw-1',
    passed,
    latencyMs,
    reason: passed ? undefined : 'HTTP 503: all circuits open',
  });

  it('fires one page per prompt with a failed probe, and resolves the prompts whose probes all passed', () => {
    const verdicts = probeVerdicts([
      result('a', true),
      result('b', false, 900),
      result('b', true, 50),
      result('a', true),
    ]);
    expect(verdicts.recovered).toEqual(['synthetic-probe:prompt=a']);
    expect(verdicts.firings).toEqual([
      {
        key: 'synthetic-probe:prompt=b',
        ruleId: 'synthetic-probe',
        severity: 'page',
        summary: '1 of 2 golden requests to b failed (b-case via http://gw-1: HTTP 503: all circuits open)',
        numbers: { failed: 1, probes: 2, maxLatencyMs: 900 },
      },
    ]);
  });
});
