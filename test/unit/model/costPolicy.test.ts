import { costPolicySchema, DEFAULT_COST_POLICY, nextCostStep, throttleRpm } from '../../../src/model/costPolicy';

const policy = costPolicySchema.parse({ max_step: 'kill', throttle_at_ratio: 10, over_ratio: 3, step_minutes: 10 });

describe('nextCostStep', () => {
  it('warns first, whatever the spend', () => {
    expect(nextCostStep(policy, { rung: 'none', minutesOnRung: 0 }, 0.5)).toBe('warn');
    expect(nextCostStep(policy, { rung: 'none', minutesOnRung: 0 }, 100)).toBe('warn');
  });

  it('throttles a runaway past throttle_at_ratio at the next check, a slower one only after a step over over_ratio', () => {
    expect(nextCostStep(policy, { rung: 'warn', minutesOnRung: 1 }, 20)).toBe('throttle');
    expect(nextCostStep(policy, { rung: 'warn', minutesOnRung: 1 }, null)).toBe('throttle'); // no usual spend
    expect(nextCostStep(policy, { rung: 'warn', minutesOnRung: 9 }, 5)).toBeUndefined();
    expect(nextCostStep(policy, { rung: 'warn', minutesOnRung: 10 }, 5)).toBe('throttle');
    expect(nextCostStep(policy, { rung: 'warn', minutesOnRung: 60 }, 2.9)).toBeUndefined();
  });

  it('kills only after a step throttled and still over, never at once, never past max_step', () => {
    expect(nextCostStep(policy, { rung: 'throttle', minutesOnRung: 1 }, 1000)).toBeUndefined();
    expect(nextCostStep(policy, { rung: 'throttle', minutesOnRung: 10 }, 4)).toBe('kill');
    expect(nextCostStep(policy, { rung: 'kill', minutesOnRung: 100 }, 1000)).toBeUndefined();
    expect(nextCostStep(DEFAULT_COST_POLICY, { rung: 'throttle', minutesOnRung: 100 }, 1000)).toBeUndefined();
    const warnOnly = costPolicySchema.parse({ max_step: 'warn' });
    expect(nextCostStep(warnOnly, { rung: 'warn', minutesOnRung: 100 }, 1000)).toBeUndefined();
  });
});

describe('a declined rung', () => {
  it('is not asked for again within a step, however high the spend, then is', () => {
    const declined = (minutesAgo: number) => ({ step: 'throttle' as const, minutesAgo });
    expect(nextCostStep(policy, { rung: 'warn', minutesOnRung: 1, declined: declined(0) }, 50)).toBeUndefined();
    expect(nextCostStep(policy, { rung: 'warn', minutesOnRung: 12, declined: declined(9) }, 50)).toBeUndefined();
    expect(nextCostStep(policy, { rung: 'warn', minutesOnRung: 12, declined: declined(10) }, 50)).toBe('throttle');
  });
});

describe('throttleRpm', () => {
  it("keeps the tenant's usual rate times the headroom, at least one a minute", () => {
    expect(throttleRpm(DEFAULT_COST_POLICY, 12.2)).toBe(25);
    expect(throttleRpm(DEFAULT_COST_POLICY, 0)).toBe(1);
  });
});

describe('the policy schema', () => {
  it('refuses unknown rungs and fields', () => {
    expect(costPolicySchema.safeParse({ max_step: 'nuke' }).success).toBe(false);
    expect(costPolicySchema.safeParse({ approval: ['warn'] }).success).toBe(false);
    expect(costPolicySchema.safeParse({ stepMinutes: 3 }).success).toBe(false);
  });
});
