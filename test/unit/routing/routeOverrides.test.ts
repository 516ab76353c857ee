import type { ProviderConfig } from '../../../src/providers/config';
import { fallbackChain } from '../../../src/routing/fallbackChain';
import { overrideKey, reroute, routeOverrideSchema, type RouteOverride } from '../../../src/routing/routeOverrides';

const config: ProviderConfig = {
  providers: { simulator: { api: 'openai' }, azure: { api: 'openai' }, 'simulator-anthropic': { api: 'anthropic' } },
  models: [
    { match: 'claude-*', provider: 'simulator-anthropic' },
    { match: '*', provider: 'simulator' },
  ],
};
const override = (model: string, backup: string, tenant?: string): Map<string, RouteOverride> =>
  new Map([
    [
      overrideKey(model, tenant),
      {
        model,
        tenant: tenant ?? null,
        backup,
        reason: 'outage',
        incident: null,
        createdBy: 'oncall',
        createdAt: new Date(),
      },
    ],
  ]);

describe('reroute', () => {
  it('puts the backup first and the overridden model last, the other fallbacks between', () => {
    const chain = fallbackChain('gpt-4o', ['azure/gpt-4o', 'gpt-4o-mini'], config);
    expect(reroute(chain, override('gpt-4o', 'claude-haiku'), config)).toEqual([
      { provider: 'simulator-anthropic', model: 'claude-haiku' },
      { provider: 'azure', model: 'gpt-4o' },
      { provider: 'simulator', model: 'gpt-4o-mini' },
      { provider: 'simulator', model: 'gpt-4o' },
    ]);
  });

  it("applies a tenant's own override to that tenant's calls only, ahead of everyone's", () => {
    const chain = fallbackChain('gpt-4o', [], config);
    const scoped = override('gpt-4o', 'claude-haiku', 'drill-tenant');
    expect(reroute(chain, scoped, config, 'drill-tenant').map((t) => t.model)).toEqual(['claude-haiku', 'gpt-4o']);
    expect(reroute(chain, scoped, config, 'customer')).toBe(chain);
    expect(reroute(chain, scoped, config)).toBe(chain);
    const both = new Map([...scoped, ...override('gpt-4o', 'gpt-4o-mini')]);
    expect(reroute(chain, both, config, 'drill-tenant')[0]!.model).toBe('claude-haiku');
    expect(reroute(chain, both, config, 'customer')[0]!.model).toBe('gpt-4o-mini');
  });

  it('moves a backup that was a fallback already to the front, without a repeat', () => {
    const chain = fallbackChain('gpt-4o', ['gpt-4o-mini', 'claude-haiku'], config);
    expect(reroute(chain, override('gpt-4o', 'claude-haiku'), config).map((t) => t.model)).toEqual([
      'claude-haiku',
      'gpt-4o-mini',
      'gpt-4o',
    ]);
  });

  it('leaves a chain alone when its first model has no override, or the backup is the same target', () => {
    const chain = fallbackChain('gpt-4o-mini', ['gpt-4o'], config);
    expect(reroute(chain, override('gpt-4o', 'claude-haiku'), config)).toBe(chain);
    const same = fallbackChain('gpt-4o', [], config);
    expect(reroute(same, override('gpt-4o', 'simulator/gpt-4o'), config)).toBe(same);
    // A gateway whose providers file serves no such backup keeps calling the model.
    const narrow: ProviderConfig = { providers: config.providers, models: [{ match: 'gpt-*', provider: 'simulator' }] };
    const chain2 = fallbackChain('gpt-4o', [], narrow);
    expect(reroute(chain2, override('gpt-4o', 'claude-haiku'), narrow)).toBe(chain2);
  });
});

describe('route override input', () => {
  it('refuses a backup equal to the model, a blank reason, and ids or reasons with control characters', () => {
    const ok = { model: 'gpt-4o', backup: 'claude-haiku', reason: 'outage', actor: 'oncall' };
    expect(routeOverrideSchema.safeParse(ok).success).toBe(true);
    expect(routeOverrideSchema.safeParse({ ...ok, backup: 'gpt-4o' }).success).toBe(false);
    expect(routeOverrideSchema.safeParse({ ...ok, reason: '  ' }).success).toBe(false);
    expect(routeOverrideSchema.safeParse({ ...ok, model: 'gpt 4o\n' }).success).toBe(false);
    expect(routeOverrideSchema.safeParse({ ...ok, reason: 'a\u0007b' }).success).toBe(false);
    expect(routeOverrideSchema.safeParse({ ...ok, extra: 1 }).success).toBe(false);
  });
});
