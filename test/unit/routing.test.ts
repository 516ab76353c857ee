import { bucketOf, inCandidateBucket } from '../../src/routing/bucketing';
import { CircuitBreaker } from '../../src/routing/circuitBreaker';
import { inCohort } from '../../src/routing/cohorts';
import { costRoutedModel } from '../../src/routing/costRouting';
import { fallbackChain } from '../../src/routing/fallbackChain';
import { chooseVariant, type PromptRoute } from '../../src/routing/routingTable';
import type { ProviderConfig } from '../../src/providers/config';
import type { PromptSpec } from '../../src/registry/promptFile';

describe('sticky bucketing', () => {
  const users = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);

  it('is stable and spreads subjects evenly over the 10,000 buckets', () => {
    expect(bucketOf('exp', 'alice')).toBe(bucketOf('exp', 'alice'));
    const share = users.filter((u) => inCandidateBucket('exp', u, 500)).length / users.length;
    expect(share).toBeGreaterThan(0.04);
    expect(share).toBeLessThan(0.06);
  });

  it('only adds subjects as the weight grows, so nobody flips back', () => {
    const at = (bp: number) => new Set(users.filter((u) => inCandidateBucket('exp', u, bp)));
    const steps = [100, 500, 2500, 5000, 10_000].map(at);
    for (let i = 1; i < steps.length; i++) for (const user of steps[i - 1]!) expect(steps[i]!.has(user)).toBe(true);
    expect(steps[4]!.size).toBe(users.length);
    expect(at(0).size).toBe(0);
  });

  it('buckets differently per experiment', () => {
    const a = users.slice(0, 2000).filter((u) => inCandidateBucket('exp-a', u, 5000));
    const b = new Set(users.slice(0, 2000).filter((u) => inCandidateBucket('exp-b', u, 5000)));
    const overlap = a.filter((u) => b.has(u)).length / a.length;
    expect(overlap).toBeGreaterThan(0.4);
    expect(overlap).toBeLessThan(0.6);
  });
});

describe('cohorts and variant choice', () => {
  const spec = (version: string) => ({ version, spec: { model: 'm' } as PromptSpec });
  const route: PromptRoute = {
    prompt: 'p',
    stable: spec('1.0.0'),
    candidate: { ...spec('1.1.0'), weightBp: 10_000 },
    cohorts: ['free', 'enterprise'],
    experimentId: 'p@1.1.0',
  };

  it('keeps enterprise tenants out unless they opted in, and tiers outside the cohorts', () => {
    expect(inCohort({ tier: 'enterprise', experimentsOptIn: false }, ['free', 'smb', 'enterprise'])).toBe(false);
    expect(inCohort({ tier: 'enterprise', experimentsOptIn: true }, ['free', 'smb', 'enterprise'])).toBe(true);
    expect(inCohort({ tier: 'smb', experimentsOptIn: true }, ['free'])).toBe(false);
    expect(chooseVariant(route, { tier: 'free', experimentsOptIn: false }, 'u').variant).toBe('candidate');
    expect(chooseVariant(route, { tier: 'smb', experimentsOptIn: false }, 'u').served.version).toBe('1.0.0');
    expect(chooseVariant(route, { tier: 'enterprise', experimentsOptIn: false }, 'u').variant).toBe('stable');
    expect(
      chooseVariant({ ...route, candidate: undefined }, { tier: 'free', experimentsOptIn: false }, 'u').variant,
    ).toBe('stable');
  });
});

describe('circuit breaker', () => {
  it('opens after N consecutive failures, lets one probe through after the cool-down, and closes on its success', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failures: 3, cooldownMs: 1000 }, () => now);
    breaker.onFailure();
    breaker.onSuccess(); // a success resets the count
    for (let i = 0; i < 3; i++) {
      expect(breaker.tryPass()).toBe(true);
      breaker.onFailure();
    }
    expect(breaker.state).toBe('open');
    expect(breaker.tryPass()).toBe(false);
    now = 999;
    expect(breaker.tryPass()).toBe(false);
    now = 1000;
    expect(breaker.tryPass()).toBe(true);
    expect(breaker.state).toBe('half_open');
    expect(breaker.tryPass()).toBe(false); // one probe at a time
    breaker.onSuccess();
    expect(breaker.state).toBe('closed');
    expect(breaker.tryPass()).toBe(true);
  });

  it('reopens at once when the probe fails', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failures: 1, cooldownMs: 100 }, () => now);
    breaker.onFailure();
    now = 100;
    expect(breaker.tryPass()).toBe(true);
    breaker.onFailure();
    expect(breaker.state).toBe('open');
    now = 150;
    expect(breaker.tryPass()).toBe(false);
  });
});

describe('fallback chains and cost routing', () => {
  const config: ProviderConfig = {
    providers: { simulator: { api: 'openai' }, azure: { api: 'openai' }, 'simulator-anthropic': { api: 'anthropic' } },
    models: [
      { match: 'claude-*', provider: 'simulator-anthropic' },
      { match: '*', provider: 'simulator' },
    ],
  };

  it('resolves each model to its provider, honours provider/model, and drops repeats', () => {
    expect(fallbackChain('gpt-4o', ['azure/gpt-4o', 'claude-haiku', 'gpt-4o', 'meta-llama/Llama-3'], config)).toEqual([
      { provider: 'simulator', model: 'gpt-4o' },
      { provider: 'azure', model: 'gpt-4o' },
      { provider: 'simulator-anthropic', model: 'claude-haiku' },
      { provider: 'simulator', model: 'meta-llama/Llama-3' },
    ]);
  });

  it('sends a request to the first rule whose every condition holds', () => {
    const rules = [
      { max_input_tokens: 50, pattern: '\\border status\\b', model: 'tiny' },
      { max_input_tokens: 100, model: 'small' },
    ];
    expect(costRoutedModel(rules, 20, 'What is my ORDER STATUS?')).toBe('tiny');
    expect(costRoutedModel(rules, 20, 'hello')).toBe('small');
    expect(costRoutedModel(rules, 60, 'order status')).toBe('small');
    expect(costRoutedModel(rules, 500, 'order status')).toBeUndefined();
    expect(costRoutedModel([], 1, 'x')).toBeUndefined();
  });
});
