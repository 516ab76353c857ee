import type { Firing } from '../../../src/monitoring/alertStore';
import { incidentFor } from '../../../src/monitoring/playbookStarts';
import { DEFAULT_COST_POLICY } from '../../../src/model/costPolicy';
import { DEFAULT_PLAYBOOKS } from '../../../src/monitoring/monitorRules';
import { parseIncidentInput } from '../../../src/model/incident';

const firing = (playbook?: string): Firing => ({
  key: 'model-availability:model=m1',
  ruleId: 'model-availability',
  severity: 'page',
  summary: 'burning 20x',
  numbers: {},
  playbook,
});
const settings = {
  ...DEFAULT_PLAYBOOKS,
  provider_outage: { ...DEFAULT_PLAYBOOKS.provider_outage, backups: { m1: 'm2' } },
  cost_runaway: { ...DEFAULT_COST_POLICY, tenants: { acme: { max_step: 'kill' as const } } },
};

describe('incidentFor', () => {
  it('starts the provider-outage playbook for a model with a backup, keyed by the alert', () => {
    expect(incidentFor(firing('provider-outage'), { model: 'm1' }, settings)).toEqual({
      kind: 'provider-outage',
      key: 'm1',
      model: 'm1',
      backup: 'm2',
      reason: 'burning 20x',
      actor: 'monitor',
      alertKey: 'model-availability:model=m1',
      probeEverySeconds: 30,
      healthyProbes: 10,
      slowProbeMs: 10_000,
    });
  });

  it('starts nothing without a backup, without a model in the series, or for a playbook not built yet', () => {
    expect(incidentFor(firing('provider-outage'), { model: 'm9' }, settings)).toBeUndefined();
    expect(incidentFor(firing('provider-outage'), { prompt: 'p' }, settings)).toBeUndefined();
    expect(incidentFor(firing('cost-runaway'), { model: 'm1' }, settings)).toBeUndefined();
    expect(incidentFor(firing('latency-spike'), { model: 'm1' }, settings)).toBeUndefined();
    expect(incidentFor(firing(), { model: 'm1' }, settings)).toBeUndefined();
  });

  it("starts the cost-runaway playbook for the alert's tenant, with the tenant's own ladder over the default", () => {
    expect(incidentFor(firing('cost-runaway'), { tenant: 'acme' }, settings)).toMatchObject({
      kind: 'cost-runaway',
      tenant: 'acme',
      policy: { ...DEFAULT_COST_POLICY, max_step: 'kill' },
    });
    expect(incidentFor(firing('cost-runaway'), { tenant: 'other' }, settings)).toMatchObject({
      policy: DEFAULT_COST_POLICY,
    });
  });

  it("starts the quality-regression playbook for the alert's prompt with the monitors file's settings", () => {
    expect(incidentFor(firing('quality-regression'), { prompt: 'support' }, settings)).toMatchObject({
      kind: 'quality-regression',
      prompt: 'support',
      approval: false,
      verifyMinutes: 15,
      changeHours: 24,
    });
    expect(incidentFor(firing('quality-regression'), { model: 'm1' }, settings)).toBeUndefined();
  });

  it('starts the security playbook for a rule that names it: the kill switch waits for a person, no key is rotated', () => {
    const started = incidentFor(firing('security'), { tenant: 'acme' }, settings);
    expect(started).toMatchObject({ kind: 'security', finding: 'injection', tenant: 'acme', approval: ['kill'] });
    expect(parseIncidentInput(started)).toMatchObject({ killSwitch: 'tenant', rotateKey: false, purge: true });
    const leaked = incidentFor(
      firing('security'),
      { prompt: 'faq' },
      { ...settings, security: { ...settings.security, finding: 'leaked-key' } },
    );
    expect(parseIncidentInput(leaked)).toMatchObject({ prompt: 'faq', killSwitch: 'none', rotateKey: false });
    expect(incidentFor(firing('security'), { model: 'm1' }, settings)).toBeUndefined();
  });

  it("a latency rule's alert caps the model's answers when the policy says max_tokens, with or without a backup", () => {
    const capping = {
      ...settings,
      provider_outage: { ...settings.provider_outage, latency_mitigation: 'max_tokens' as const, max_tokens: 300 },
    };
    for (const model of ['m1', 'm9'])
      expect(incidentFor(firing('provider-outage'), { model }, capping, 'latency_p99')).toMatchObject({
        kind: 'provider-outage',
        model,
        mitigation: 'max-tokens',
        maxTokens: 300,
      });
    // An availability alert still moves the calls (a cap does not help a model that fails).
    expect(incidentFor(firing('provider-outage'), { model: 'm1' }, capping, 'server_error_rate')).toMatchObject({
      backup: 'm2',
    });
    expect(incidentFor(firing('provider-outage'), { model: 'm9' }, capping, 'server_error_rate')).toBeUndefined();
    // The default policy: a latency alert moves the calls too.
    expect(incidentFor(firing('provider-outage'), { model: 'm1' }, settings, 'slow_request_rate')).toMatchObject({
      backup: 'm2',
    });
  });
});
