import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULT_MONITOR_RULES, loadMonitorRules, loadMonitorsFile } from '../../../src/monitoring/monitorRules';

const file = (text: string) => {
  const p = path.join(mkdtempSync(path.join(tmpdir(), 'fd-rules-')), 'flightdeck.monitors.yaml');
  writeFileSync(p, text);
  return p;
};

describe('monitor rules', () => {
  it('ships defaults for cost, availability, latency, guardrails and answer quality', () => {
    expect([...new Set(DEFAULT_MONITOR_RULES.map((r) => r.metric))].sort()).toEqual([
      'bad_answer_rate',
      'cost_per_request',
      'cost_usd',
      'faithfulness',
      'guardrail_block_rate',
      'guardrail_false_positive_rate',
      'guardrail_latency_p99',
      'json_failure_rate',
      'judge_score',
      'latency_p99',
      'negative_feedback_rate',
      'output_length',
      'refusal_rate',
      'server_error_rate',
      'slow_request_rate',
    ]);
    // Time to first token has its own objective; latency also per context length.
    expect(DEFAULT_MONITOR_RULES.find((r) => r.id === 'model-ttft')!.detector).toMatchObject({ of: 'ttft' });
    expect(DEFAULT_MONITOR_RULES.find((r) => r.id === 'context-latency')!.by).toEqual(['model', 'context']);
  });

  it('reads the judge sampling settings, with defaults, and refuses a judge model it cannot price', () => {
    const rules = 'rules:\n  - { id: q, metric: judge_score, by: [prompt], detector: { kind: drop } }\n';
    expect(loadMonitorsFile(file(rules)).judge_sampling).toEqual({
      share: 0.02,
      min_per_prompt_hour: 30,
      daily_budget_usd: 5,
      judge_model: 'gpt-4.1-mini-2025-04-14',
      max_per_run: 50,
    });
    expect(
      loadMonitorsFile(file(`${rules}judge_sampling: { share: 0.5, daily_budget_usd: 0.25 }\n`)).judge_sampling,
    ).toMatchObject({
      share: 0.5,
      daily_budget_usd: 0.25,
    });
    expect(() => loadMonitorsFile(file(`${rules}judge_sampling: { share: 2 }\n`))).toThrow(/judge_sampling\.share/);
    expect(() => loadMonitorsFile(file(`${rules}judge_sampling: { judge_model: gtp-5 }\n`))).toThrow(
      /judge_sampling\.judge_model: Unknown judge model "gtp-5"/,
    );
    expect(() => loadMonitorsFile(file(`${rules}judge_sampling: { budget: 5 }\n`))).toThrow(/budget/);
  });

  it('refuses playbook settings it could not act on, naming the field', () => {
    const rules = 'rules:\n  - { id: q, metric: judge_score, by: [prompt], detector: { kind: drop } }\n';
    for (const [settings, field] of [
      ['security: { finding: worm }', /playbooks\.security\.finding/],
      ['security: { approval: [rotate-key] }', /playbooks\.security\.approval/],
      ['provider_outage: { latency_mitigation: pray }', /playbooks\.provider_outage\.latency_mitigation/],
      ['provider_outage: { max_tokens: 0 }', /playbooks\.provider_outage\.max_tokens/],
    ] as const)
      expect(() => loadMonitorsFile(file(`${rules}playbooks: { ${settings} }\n`))).toThrow(field);
  });

  it('takes a latency threshold only at a histogram bound', () => {
    const rule = (ms: number) =>
      file(`rules:\n  - { id: slow, metric: slow_request_rate, detector: { kind: burn_rate, threshold_ms: ${ms} } }\n`);
    expect(loadMonitorRules(rule(2500))[0]!.detector).toMatchObject({ threshold_ms: 2500, objective: 0.99 });
    expect(() => loadMonitorRules(rule(2000))).toThrow(
      /rule slow\.detector\.threshold_ms: must be one of the latency buckets' bounds/,
    );
  });

  it('reads a file and fills defaults', () => {
    const [rule] = loadMonitorRules(
      file('rules:\n  - { id: spend, metric: cost_usd, by: [tenant, feature], detector: { kind: spike, ratio: 4 } }\n'),
    );
    expect(rule).toMatchObject({ id: 'spend', by: ['tenant', 'feature'], window_minutes: 60, severity: 'page' });
    expect(rule!.detector).toMatchObject({ kind: 'spike', ratio: 4, sigmas: 4, floor: 1 });
  });

  it('names the file, the rule and the field of what is wrong', () => {
    const bad = file(
      'rules:\n  - { id: spend, metric: cost_usd, by: [colour], detector: { kind: spike, ratio: 0.5 } }\n',
    );
    expect(() => loadMonitorRules(bad)).toThrow(/flightdeck\.monitors\.yaml is invalid/);
    expect(() => loadMonitorRules(bad)).toThrow(/rule spend\.by\.0/);
    expect(() => loadMonitorRules(bad)).toThrow(/rule spend\.detector\.ratio/);
  });

  it('refuses an unknown metric, a detector that does not fit it, unknown keys, twin ids and bad YAML', () => {
    expect(() => loadMonitorRules(file('rules:\n  - { id: a, metric: vibes, detector: { kind: spike } }\n'))).toThrow(
      /rule a\.metric/,
    );
    expect(() =>
      loadMonitorRules(file('rules:\n  - { id: a, metric: cost_usd, detector: { kind: burn_rate } }\n')),
    ).toThrow(/rule a\.detector\.kind/);
    expect(() =>
      loadMonitorRules(file('rules:\n  - { id: a, metric: cost_usd, detector: { kind: spike }, windw: 5 }\n')),
    ).toThrow(/windw/);
    expect(() =>
      loadMonitorRules(
        file(
          'rules:\n  - { id: a, metric: cost_usd, detector: { kind: spike } }\n  - { id: a, metric: cost_usd, detector: { kind: spike } }\n',
        ),
      ),
    ).toThrow(/"a" is used twice/);
    expect(() => loadMonitorRules(file('rules: [\n'))).toThrow(/not valid YAML/);
    expect(() => loadMonitorRules('/nonexistent/rules.yaml')).toThrow(/does not exist/);
  });
});
