import { InputError } from '../../../src/errors';
import { incidentDetails, parseIncidentInput } from '../../../src/model/incident';

const ok = {
  kind: 'provider-outage',
  key: 'model-availability:model=gpt-4o',
  model: 'gpt-4o',
  backup: 'claude-haiku',
  reason: 'burning 20x',
  actor: 'monitor',
};

describe('parseIncidentInput', () => {
  it('fills in the probe defaults', () => {
    expect(parseIncidentInput(ok)).toMatchObject({ probeEverySeconds: 30, healthyProbes: 10 });
  });

  it('refuses hostile starts with an InputError naming the field', () => {
    for (const [hostile, field] of [
      [{ ...ok, kind: 'meltdown' }, 'kind'],
      [{ ...ok, backup: 'gpt-4o' }, 'backup'],
      [{ ...ok, model: 'gpt 4o; DROP TABLE' }, 'model'],
      [{ ...ok, reason: 'a\u0000b' }, 'reason'],
      [{ ...ok, reason: 'r'.repeat(5000) }, 'reason'],
      [{ ...ok, key: 'k'.repeat(1000) }, 'key'],
      [{ ...ok, probeEverySeconds: 0 }, 'probeEverySeconds'],
      [{ ...ok, healthyProbes: 1e9 }, 'healthyProbes'],
      [{ ...ok, extra: 1 }, '(root)'],
    ] as const) {
      expect(() => parseIncidentInput(hostile)).toThrow(InputError);
      expect(() => parseIncidentInput(hostile)).toThrow(new RegExp(`- ${field.replace(/[()]/g, '\\$&')}:`));
    }
  });
});

describe('incidentDetails', () => {
  it('says where calls go and how the probes stand', () => {
    const text = incidentDetails({
      kind: 'provider-outage',
      key: 'k',
      status: 'mitigated',
      model: 'gpt-4o',
      backup: 'claude-haiku',
      probes: 4,
      healthyInARow: 2,
      healthyProbes: 10,
    });
    expect(text).toContain('calls go to: claude-haiku first');
    expect(text).toContain('healthy in a row: 2 of 10');
  });
});
