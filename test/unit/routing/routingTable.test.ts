import { inCohort } from '../../../src/routing/cohorts';
import { chooseVariant, type PromptRoute } from '../../../src/routing/routingTable';
import type { PromptSpec } from '../../../src/registry/promptFile';

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
