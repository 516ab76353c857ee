import { z } from 'zod';

/** The rungs of the cost-runaway ladder, mildest first. */
export const COST_STEPS = ['warn', 'throttle', 'kill'] as const;
export type CostStep = (typeof COST_STEPS)[number];

/**
 * How far the cost-runaway playbook may go for a tenant, and how fast (the monitors file's
 * `playbooks.cost_runaway`, with per-tenant overrides). Restoring a tenant is always a person's call.
 */
export const costPolicySchema = z.strictObject({
  /** The highest rung: warn only, throttle, or kill (refuse every request). */
  max_step: z.enum(COST_STEPS).default('throttle'),
  /** Spending this many times the usual pace: throttle at once, without waiting out a step. */
  throttle_at_ratio: z.number().min(1).max(10_000).default(10),
  /** Still above this many times the usual pace `step_minutes` after a rung: the next rung. */
  over_ratio: z.number().min(1).max(10_000).default(3),
  step_minutes: z.number().int().min(1).max(1440).default(10),
  /** A throttled tenant keeps this many times its usual request rate (at least one a minute). */
  throttle_headroom: z.number().min(0).max(100).default(2),
  /** Minutes of spend each check looks at: short, so the pace of a runaway shows, not the quiet before it. */
  window_minutes: z.number().int().min(1).max(240).default(5),
  /** Rungs that wait for on-call's `incident approve` (an Update) before they are taken. */
  approval: z
    .array(z.enum(['throttle', 'kill']))
    .max(2)
    .default(['kill']),
  approval_timeout_minutes: z.number().int().min(1).max(1440).default(15),
  /** Nobody answered in time: take the rung anyway, or skip it (and keep watching). */
  on_timeout: z.enum(['proceed', 'skip']).default('skip'),
});
export type CostPolicy = z.output<typeof costPolicySchema>;
export const DEFAULT_COST_POLICY: CostPolicy = costPolicySchema.parse({});

/** Where the ladder stands: the rung last taken (or none) and how many minutes ago. */
export interface LadderState {
  rung: CostStep | 'none';
  minutesOnRung: number;
  /** A rung a person refused, or nobody approved and the policy skipped, and how many minutes ago. */
  declined?: { step: CostStep; minutesAgo: number };
}

/**
 * The next rung given the tenant's spend ratio (null: it had no usual spend), or undefined to hold: the warning comes first,
 * whatever the ratio; a runaway past `throttle_at_ratio` is throttled at the next check; otherwise
 * a rung is climbed only after spend stayed over `over_ratio` for `step_minutes` on the last one;
 * a rung declined is weighed again only a step later.
 */
export function nextCostStep(policy: CostPolicy, state: LadderState, spendRatio: number | null): CostStep | undefined {
  const ratio = spendRatio ?? Infinity; // no usual spend at all: any spend is a runaway
  if (state.rung === 'none') return 'warn';
  const next = COST_STEPS[COST_STEPS.indexOf(state.rung) + 1];
  if (!next || COST_STEPS.indexOf(next) > COST_STEPS.indexOf(policy.max_step)) return undefined;
  // A declined rung is not asked for again within a step, however high the spend.
  if (state.declined?.step === next && state.declined.minutesAgo < policy.step_minutes) return undefined;
  if (next === 'throttle' && ratio >= policy.throttle_at_ratio) return next;
  return ratio >= policy.over_ratio && state.minutesOnRung >= policy.step_minutes ? next : undefined;
}

/** A throttled tenant's allowance: its usual requests a minute times the headroom, at least one. */
export const throttleRpm = (policy: CostPolicy, baselineRequestsPerMinute: number) =>
  Math.max(1, Math.ceil(baselineRequestsPerMinute * policy.throttle_headroom));
