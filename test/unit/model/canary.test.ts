import { isoWeek, parseCanaryInput } from '../../../src/model/canary';

describe('canary input', () => {
  it('names the ISO week, with the year its Thursday falls in', () => {
    expect(isoWeek(new Date('2026-12-03T12:00:00Z'))).toBe('2026-W49');
    expect(isoWeek(new Date('2027-01-01T00:00:00Z'))).toBe('2026-W53');
    expect(isoWeek(new Date('2025-12-29T00:00:00Z'))).toBe('2026-W01');
  });

  it('fills defaults and refuses nonsense', () => {
    expect(parseCanaryInput(undefined)).toMatchObject({ attempts: 500, concurrency: 8 });
    expect(() => parseCanaryInput({ attempts: 0 })).toThrow(/attempts/);
    expect(() => parseCanaryInput({ judgeModel: '' })).toThrow(/judgeModel/);
  });
});
