import { InputError } from '../../../src/errors';
import { incidentDetails, parseApproval, parseIncidentInput } from '../../../src/model/incident';

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
      outage: { model: 'gpt-4o', backup: 'claude-haiku', probes: 4, healthyInARow: 2, healthyProbes: 10 },
      escalations: 0,
    });
    expect(text).toContain('calls go to: claude-haiku first');
    expect(text).toContain('healthy in a row: 2 of 10');
  });
});

describe('parseApproval', () => {
  const waiting = { step: 'kill' as const, until: '2026-12-03T10:00:00Z', onTimeout: 'skip' as const };

  it('takes an answer for the rung waiting', () => {
    expect(parseApproval({ step: 'kill', approve: true, actor: 'oncall' }, waiting)).toEqual({
      step: 'kill',
      approve: true,
      actor: 'oncall',
    });
  });

  it('refuses an answer for a rung not waiting, or when nothing waits, naming what does', () => {
    expect(() => parseApproval({ step: 'throttle', approve: true, actor: 'a' }, waiting)).toThrow(/"kill" does/);
    expect(() => parseApproval({ step: 'kill', approve: true, actor: 'a' }, undefined)).toThrow(/Nothing waits/);
  });

  it('refuses hostile payloads with the shape to send', () => {
    for (const hostile of [
      undefined,
      'yes',
      { step: 'kill', approve: 'yes', actor: 'a' },
      { step: 'kill', approve: true },
      { step: 'kill', approve: true, actor: 'a\u0000' },
      { step: 'kill', approve: true, actor: 'a', extra: 1 },
    ])
      expect(() => parseApproval(hostile, waiting)).toThrow(/Send \{"step"/);
  });
});

describe('a cost incident in the UI', () => {
  it('shows the rung, the pace against the usual one and the likely cause', () => {
    const text = incidentDetails({
      kind: 'cost-runaway',
      key: 'acme',
      status: 'awaiting-approval',
      cost: {
        tenant: 'acme',
        rung: 'throttle',
        ratio: 21.5,
        usdPerHour: 43,
        baselineUsdPerHour: 2,
        cause: 'loop',
        throttleRpm: 20,
      },
      awaiting: { step: 'kill', until: '2026-12-03T10:00:00Z', onTimeout: 'skip' },
      escalations: 1,
    });
    expect(text).toContain('ladder: throttle (20 requests a minute per gateway)');
    expect(text).toContain('$43.00/h against $2.00/h usual (21.5x)');
    expect(text).toContain('likely cause: loop');
    expect(text).toContain('waiting for approval of: kill');
    expect(text).toContain('approve (update)');
  });
});

describe('a security incident', () => {
  const finding = { kind: 'security', key: 'acme', reason: 'key on a paste site', actor: 'oncall' };

  it('contains a leaked key by rotation, other findings by switching off the prompt (else the tenant)', () => {
    expect(parseIncidentInput({ ...finding, finding: 'leaked-key', tenant: 'acme' })).toMatchObject({
      killSwitch: 'none',
      rotateKey: true,
      purge: true,
      overlapMinutes: 60,
    });
    expect(parseIncidentInput({ ...finding, finding: 'injection', tenant: 'acme', prompt: 'faq' })).toMatchObject({
      killSwitch: 'prompt',
      rotateKey: false,
    });
    expect(parseIncidentInput({ ...finding, finding: 'pii-output', tenant: 'acme' })).toMatchObject({
      killSwitch: 'tenant',
    });
  });

  it('refuses a finding it could not act on, naming the field', () => {
    for (const [hostile, field] of [
      [{ ...finding, finding: 'injection' }, 'tenant'],
      [{ ...finding, finding: 'leaked-key', prompt: 'faq' }, 'rotateKey'],
      [{ ...finding, finding: 'injection', prompt: 'faq', killSwitch: 'tenant' }, 'killSwitch'],
      [{ ...finding, finding: 'exfiltration', tenant: 'acme' }, 'finding'],
      [{ ...finding, finding: 'injection', tenant: "acme'; DROP TABLE tenants" }, 'tenant'],
      [{ ...finding, finding: 'injection', tenant: 'acme', requestIds: ['a\nb'] }, 'requestIds'],
      [{ ...finding, finding: 'injection', tenant: 'acme', approval: ['rotate-key'] }, 'approval'],
      [{ ...finding, finding: 'injection', tenant: 'acme', killSwitch: 'both' }, 'killSwitch'],
      [
        {
          ...finding,
          finding: 'injection',
          tenant: 'acme',
          requestIds: Array.from({ length: 1001 }, (_, i) => `r${i}`),
        },
        'requestIds',
      ],
      [{ ...finding, finding: 'injection', tenant: 'acme', requestIds: ['a\u0000b'] }, 'requestIds'],
      [{ ...finding, finding: 'leaked-key', tenant: 'acme', overlapMinutes: 1e9 }, 'overlapMinutes'],
    ] as const) {
      expect(() => parseIncidentInput(hostile)).toThrow(InputError);
      expect(() => parseIncidentInput(hostile)).toThrow(field);
    }
  });

  it('approves a rotation only with the new key hash, never the key', () => {
    const waiting = { step: 'rotate-key' as const, until: '2026-01-01T00:00:00Z', onTimeout: 'skip' as const };
    const hash = 'a'.repeat(64);
    expect(
      parseApproval(
        { step: 'rotate-key', approve: true, actor: 'oncall', newKeyHash: hash, newKeyPrefix: 'fdk_abcdef' },
        waiting,
      ),
    ).toMatchObject({ newKeyHash: hash });
    expect(() => parseApproval({ step: 'rotate-key', approve: true, actor: 'oncall' }, waiting)).toThrow('newKeyHash');
    for (const newKeyPrefix of ['fdk_\u0000', 'x'.repeat(21)])
      expect(() =>
        parseApproval({ step: 'rotate-key', approve: true, actor: 'oncall', newKeyHash: hash, newKeyPrefix }, waiting),
      ).toThrow('newKeyPrefix');
    expect(() =>
      parseApproval(
        { step: 'rotate-key', approve: true, actor: 'oncall', newKeyHash: 'fdk_plaintext', newKeyPrefix: 'x' },
        waiting,
      ),
    ).toThrow('sha256');
    // Refusing needs no key.
    expect(parseApproval({ step: 'rotate-key', approve: false, actor: 'oncall' }, waiting).approve).toBe(false);
  });

  it('shows the switch, the evidence and the rotation in the UI', () => {
    const details = incidentDetails({
      kind: 'security',
      key: 'acme',
      status: 'mitigated',
      escalations: 0,
      security: {
        finding: 'leaked-key',
        tenant: 'acme',
        killSwitch: 'none',
        affected: 3,
        purged: 2,
        newKeyPrefix: 'fdk_abcdef',
        oldKeyUntil: '2026-01-01T01:00:00.000Z',
      },
    });
    expect(details).toContain('**Security (leaked-key): tenant acme** (mitigated)');
    expect(details).toContain('- affected requests: 3, bodies purged: 2');
    expect(details).toContain('- key rotated: new fdk_abcdef..., old key works until 2026-01-01T01:00:00.000Z');
  });
});
