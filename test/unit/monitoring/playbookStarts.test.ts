import type { Firing } from '../../../src/monitoring/alertStore';
import { incidentFor } from '../../../src/monitoring/playbookStarts';

const firing = (playbook?: string): Firing => ({
  key: 'model-availability:model=m1',
  ruleId: 'model-availability',
  severity: 'page',
  summary: 'burning 20x',
  numbers: {},
  playbook,
});
const settings = { provider_outage: { backups: { m1: 'm2' }, probe_every_seconds: 30, healthy_probes: 10 } };

describe('incidentFor', () => {
  it('starts the provider-outage playbook for a model with a backup, keyed by the alert', () => {
    expect(incidentFor(firing('provider-outage'), { model: 'm1' }, settings)).toEqual({
      kind: 'provider-outage',
      key: 'model-availability:model=m1',
      model: 'm1',
      backup: 'm2',
      reason: 'burning 20x',
      actor: 'monitor',
      alertKey: 'model-availability:model=m1',
      probeEverySeconds: 30,
      healthyProbes: 10,
    });
  });

  it('starts nothing without a backup, without a model in the series, or for a playbook not built yet', () => {
    expect(incidentFor(firing('provider-outage'), { model: 'm9' }, settings)).toBeUndefined();
    expect(incidentFor(firing('provider-outage'), { prompt: 'p' }, settings)).toBeUndefined();
    expect(incidentFor(firing('cost-runaway'), { model: 'm1' }, settings)).toBeUndefined();
    expect(incidentFor(firing(), { model: 'm1' }, settings)).toBeUndefined();
  });
});
