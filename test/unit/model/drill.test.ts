import { drillWorkflowId, parseDrillInput, parseDrillKind } from '../../../src/model/drill';

describe('drill input', () => {
  it('fills the defaults: the drills’ own synthetic tenant, no dry run, a model for the rollback prompt', () => {
    expect(parseDrillInput({ kind: 'prompt-rollback', id: 'q1', actor: 'oncall' })).toEqual({
      kind: 'prompt-rollback',
      id: 'q1',
      actor: 'oncall',
      tenant: 'flightdeck-drills',
      dryRun: false,
      prompt: 'flightdeck-drill',
      model: 'gpt-4o-mini-2024-07-18',
      withinSeconds: 10,
    });
    expect(drillWorkflowId('provider-kill', 'q1')).toBe('drill/provider-kill/q1');
  });

  it('refuses an unknown kind, a bad id or tenant, and out-of-range timings, naming each', () => {
    expect(() => parseDrillKind('chaos')).toThrow(
      /Unknown drill kind "chaos": use one of provider-kill, prompt-rollback/,
    );
    expect(() => parseDrillInput({ kind: 'chaos', id: 'x', actor: 'a' })).toThrow(/kind/);
    expect(() => parseDrillInput({ kind: 'provider-kill', id: 'a/b', actor: 'a' })).toThrow(/a drill id is/);
    expect(() => parseDrillInput({ kind: 'provider-kill', id: 'x', actor: 'a', tenant: 'Real Tenant' })).toThrow(
      /tenant/,
    );
    expect(() => parseDrillInput({ kind: 'provider-kill', id: 'x', actor: 'a', requestsPerSecond: 1e6 })).toThrow(
      /requestsPerSecond/,
    );
    expect(() => parseDrillInput({ kind: 'provider-kill', id: 'x', actor: 'a', extra: 1 })).toThrow(/extra/);
  });
});
