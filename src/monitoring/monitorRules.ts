import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { InputError, describeZodIssues } from '../errors';
import { COST_DIMENSIONS } from './costReport';
import { LATENCY_BOUNDS_MS } from './histogram';

const dimension = z.enum(
  Object.keys(COST_DIMENSIONS) as [keyof typeof COST_DIMENSIONS, ...Array<keyof typeof COST_DIMENSIONS>],
);

const common = {
  id: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'a rule id is lowercase letters, digits and "-"'),
  /** The series a rule watches one by one, e.g. [tenant] or [model]. */
  by: z.array(dimension).max(4).default([]),
  /** Minutes of the newest window judged against the baseline. */
  window_minutes: z.number().int().min(1).max(1440).default(60),
  baseline_days: z.number().int().min(1).max(90).default(28),
  /** Fewer requests than this in the window: "low volume", never a pass or an alert. */
  min_volume: z.number().int().min(0).default(20),
  severity: z.enum(['page', 'ticket']).default('page'),
  /** After an alert of this rule resolves, the same series does not fire again for this long. */
  cooldown_minutes: z.number().int().min(0).max(10_080).default(30),
  /** Drills, probes and canaries too (left out by default). */
  include_synthetic: z.boolean().default(false),
  /** The incident playbook an alert starts (the incident issue). */
  playbook: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,62}$/)
    .optional(),
};

const ruleSchema = z.discriminatedUnion('metric', [
  z.strictObject({
    ...common,
    metric: z.literal('cost_usd'),
    detector: z.strictObject({
      kind: z.literal('spike'),
      sigmas: z.number().positive().default(4),
      ratio: z.number().min(1).default(3),
      /** USD above the baseline median before anything fires. */
      floor: z.number().nonnegative().default(1),
      min_baseline: z.number().int().min(1).default(24),
    }),
  }),
  z.strictObject({
    ...common,
    metric: z.literal('server_error_rate'),
    detector: z.strictObject({
      kind: z.literal('burn_rate'),
      /** The availability objective, e.g. 0.99 (an error budget of 1%). */
      objective: z.number().gt(0).lt(1).default(0.99),
    }),
  }),
  z.strictObject({
    ...common,
    metric: z.literal('slow_request_rate'),
    detector: z.strictObject({
      kind: z.literal('burn_rate'),
      /** The share of requests that must finish within threshold_ms, e.g. 0.99. */
      objective: z.number().gt(0).lt(1).default(0.99),
      /** A histogram bound (rollups keep latency in fixed buckets). */
      threshold_ms: z
        .number()
        .refine((ms) => (LATENCY_BOUNDS_MS as readonly number[]).includes(ms), {
          message: `must be one of the latency buckets' bounds: ${LATENCY_BOUNDS_MS.join(', ')} ms`,
        })
        .default(10_000),
    }),
  }),
  z.strictObject({
    ...common,
    metric: z.literal('guardrail_block_rate'),
    detector: z.strictObject({
      kind: z.literal('rate_shift'),
      ratio: z.number().min(1).default(2),
    }),
  }),
]);
export type MonitorRule = z.infer<typeof ruleSchema>;

const rulesFileSchema = z.strictObject({ rules: z.array(ruleSchema).min(1) });

/** What runs when no rules file is given: a cost spike per tenant, availability and latency per model, guardrail block rates per tenant. */
export const DEFAULT_MONITOR_RULES: MonitorRule[] = rulesFileSchema.parse({
  rules: [
    {
      id: 'tenant-cost-spike',
      metric: 'cost_usd',
      by: ['tenant'],
      detector: { kind: 'spike' },
      playbook: 'cost-runaway',
    },
    {
      id: 'model-availability',
      metric: 'server_error_rate',
      by: ['model'],
      window_minutes: 60,
      min_volume: 50,
      detector: { kind: 'burn_rate', objective: 0.99 },
      playbook: 'provider-outage',
    },
    {
      id: 'model-latency',
      metric: 'slow_request_rate',
      by: ['model'],
      min_volume: 50,
      severity: 'ticket',
      detector: { kind: 'burn_rate', objective: 0.99, threshold_ms: 10_000 },
    },
    {
      id: 'guardrail-block-rate',
      metric: 'guardrail_block_rate',
      by: ['tenant'],
      min_volume: 100,
      severity: 'ticket',
      detector: { kind: 'rate_shift', ratio: 2 },
    },
  ],
}).rules;

export const DEFAULT_MONITORS_FILE = 'flightdeck.monitors.yaml';

/** Rules from `file` (or ./flightdeck.monitors.yaml when present), else the defaults; a bad file names rule and field. */
export function loadMonitorRules(file?: string): MonitorRule[] {
  const path = file ?? (existsSync(DEFAULT_MONITORS_FILE) ? DEFAULT_MONITORS_FILE : undefined);
  if (!path) return DEFAULT_MONITOR_RULES;
  if (!existsSync(path)) throw new InputError(`Monitor rules file ${path} does not exist`);
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new InputError(`${path} is not valid YAML: ${(error as Error).message}`);
  }
  const parsed = rulesFileSchema.safeParse(raw);
  if (!parsed.success) {
    // Name a rule by its id where it has one: "rule tenant-cost-spike: detector.ratio", not "rules.0.detector.ratio".
    const rules = (raw as { rules?: Array<{ id?: unknown }> } | null)?.rules;
    const issues = parsed.error.issues.map((issue) => {
      const [top, index, ...rest] = issue.path;
      const id = top === 'rules' && typeof index === 'number' ? rules?.[index]?.id : undefined;
      return typeof id === 'string' ? { ...issue, path: [`rule ${id}`, ...rest] } : issue;
    });
    throw new InputError(describeZodIssues(path, issues));
  }
  const ids = parsed.data.rules.map((r) => r.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice) throw new InputError(`${path}: rule id "${twice}" is used twice; each rule needs its own id`);
  return parsed.data.rules;
}
