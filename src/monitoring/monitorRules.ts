import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { InputError, describeZodIssues } from '../errors';
import { COST_DIMENSIONS } from './costReport';
import { LATENCY_BOUNDS_MS } from './histogram';
import { assertKnownJudgeModel } from '../evals/judge';
import { DEFAULT_JUDGE_MODEL } from '../model/evalDefaults';
import { costPolicySchema, DEFAULT_COST_POLICY, type CostPolicy } from '../model/costPolicy';
import { tenantIdSchema } from '../model/textFields';
import { SECURITY_FINDINGS } from '../model/incident';

const dimension = z.enum(
  Object.keys(COST_DIMENSIONS) as [keyof typeof COST_DIMENSIONS, ...Array<keyof typeof COST_DIMENSIONS>],
);

const common = {
  id: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'a rule id is lowercase letters, digits and "-"'),
  /** The series a rule watches one by one, e.g. [tenant] or [model]. */
  by: z.array(dimension).max(4).default([]),
  /** Minutes of the newest window judged against the baseline. */
  window_minutes: z.number().int().min(1).max(1440).default(60),
  /**
   * Rate and judge-score rules: the window is also judged doubled, up to this many times its length,
   * so a quiet series with too few samples in the short window is still judged (1: never).
   */
  stretch: z.union([z.literal(1), z.literal(2), z.literal(4), z.literal(8), z.literal(16), z.literal(32)]).default(1),
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

const rateShiftDetector = z.strictObject({
  kind: z.literal('rate_shift'),
  /** The rate's lower bound must pass this many times the baseline's upper bound. */
  ratio: z.number().min(1).default(2),
});

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
      /** Baseline hours at the same hour of day and day kind (a weekday window has about 20 in 28 days, a weekend one 8). */
      min_baseline: z.number().int().min(1).default(6),
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
      /** Total time, or time to the first token (streamed requests). */
      of: z.enum(['total', 'ttft']).default('total'),
    }),
  }),
  z.strictObject({
    ...common,
    /** The window's 99th percentile latency (total or to the first token) against the baseline's hourly p99s. */
    metric: z.literal('latency_p99'),
    detector: z.strictObject({
      kind: z.literal('spike'),
      sigmas: z.number().positive().default(4),
      ratio: z.number().min(1).default(2),
      /** Milliseconds above the baseline median before anything fires. */
      floor_ms: z.number().nonnegative().default(1000),
      min_baseline: z.number().int().min(1).default(24),
      of: z.enum(['total', 'ttft']).default('total'),
    }),
  }),
  z.strictObject({
    ...common,
    /** Blocks per request of each guardrail; refusals and JSON failures per answer; negative feedback per feedback given. */
    metric: z.enum(['guardrail_block_rate', 'refusal_rate', 'json_failure_rate', 'negative_feedback_rate']),
    detector: rateShiftDetector,
  }),
  z.strictObject({
    ...common,
    /** Answers flagged as refusals or as failing their JSON schema, against an objective. */
    metric: z.literal('bad_answer_rate'),
    detector: z.strictObject({
      kind: z.literal('burn_rate'),
      objective: z.number().gt(0).lt(1).default(0.95),
    }),
  }),
  z.strictObject({
    ...common,
    /** Mean characters per answer: a silent model update often makes answers shorter. */
    metric: z.literal('output_length'),
    detector: z.strictObject({
      kind: z.literal('shift'),
      change: z.number().positive().default(0.3),
      sigmas: z.number().positive().default(4),
      min_baseline: z.number().int().min(1).default(24),
    }),
  }),
  z.strictObject({
    ...common,
    /** Mean cost of a request against the baseline's hourly means: upward shifts only. */
    metric: z.literal('cost_per_request'),
    detector: z.strictObject({
      kind: z.literal('shift'),
      /** Fires when the mean is at least this share above the baseline median (2: three times it), and... */
      change: z.number().positive().default(2),
      /** ...at least this many robust standard deviations above it. */
      sigmas: z.number().positive().default(4),
      min_baseline: z.number().int().min(1).default(24),
    }),
  }),
  z.strictObject({
    ...common,
    /**
     * The faithfulness proxy of answers whose request carried its retrieved context (the share of
     * the answer's content words found in it), against the baseline's hourly means: drops only.
     */
    metric: z.literal('faithfulness'),
    detector: z.strictObject({
      kind: z.literal('drop'),
      /** Fires when the mean is at least this share below the baseline median, and... */
      change: z.number().gt(0).lt(1).default(0.2),
      /** ...at least this many robust standard deviations below it. */
      sigmas: z.number().positive().default(4),
      min_baseline: z.number().int().min(1).default(24),
    }),
  }),
  z.strictObject({
    ...common,
    /** Each guardrail's p99 time in the window (the latency it adds) against its baseline's hourly p99s. */
    metric: z.literal('guardrail_latency_p99'),
    detector: z.strictObject({
      kind: z.literal('spike'),
      sigmas: z.number().positive().default(4),
      ratio: z.number().min(1).default(3),
      /** Milliseconds above the baseline median before anything fires. */
      floor_ms: z.number().nonnegative().default(5),
      min_baseline: z.number().int().min(1).default(24),
    }),
  }),
  z.strictObject({
    ...common,
    /** The judge's scores of sampled production answers (see judge_sampling). */
    metric: z.literal('judge_score'),
    detector: z.strictObject({
      kind: z.literal('drop'),
      drop: z.number().gt(0).lt(1).default(0.1),
      z: z.number().positive().default(3),
      min_samples: z.number().int().min(2).default(20),
      /**
       * Confirmation sampling: when the shortest window's few sampled scores sit this many standard
       * errors below the baseline, judge more of the prompt's recent answers at once, so the rule can
       * decide in minutes instead of waiting for the share to accumulate. 0 turns it off.
       */
      suspect_z: z.number().min(0).default(2),
    }),
  }),
  z.strictObject({
    ...common,
    /** Blocks that tenants appealed as wrong, per block, of each guardrail. */
    metric: z.literal('guardrail_false_positive_rate'),
    detector: z.strictObject({
      kind: z.literal('threshold'),
      /** Fires when the rate's lower 95% bound is above this. */
      max_rate: z.number().gt(0).lt(1).default(0.05),
    }),
  }),
]);
export type MonitorRule = z.infer<typeof ruleSchema>;

/** Production answers sampled for the judge (the judge_score metric), within a daily budget. */
const judgeSamplingSchema = z.strictObject({
  /** Share of answered, non-synthetic requests judged, chosen by request id (stable across passes). */
  share: z.number().min(0).max(1).default(0.02),
  /**
   * And at least this many answers of each prompt an hour when it has them: 2% of a quiet prompt's
   * night is a handful, too few to see a drop (the sampled share alone missed night-time regressions).
   */
  min_per_prompt_hour: z.number().int().min(0).max(10_000).default(30),
  /** USD a UTC day the sampler may spend on judge calls; at the budget it stops until midnight. */
  daily_budget_usd: z.number().nonnegative().default(5),
  judge_model: z.string().min(1).default(DEFAULT_JUDGE_MODEL),
  /** Answers judged per sampling run at most (runs every minute). */
  max_per_run: z.number().int().min(1).max(1000).default(50),
});
export type JudgeSampling = z.infer<typeof judgeSamplingSchema>;

/** The nightly usage reconciliation: how far our log and a provider's report may differ before it is an alert. */
const reconciliationSchema = z.strictObject({
  /** Relative difference allowed (of the larger side), e.g. 0.02 for 2%. */
  tolerance: z.number().min(0).max(1).default(0.02),
  /** Token differences under this never alert (a handful of requests in flight at midnight). */
  min_tokens: z.number().int().nonnegative().default(1000),
  /** Cost differences under this (USD) never alert. */
  min_usd: z.number().nonnegative().default(0.5),
});
export type ReconciliationSettings = z.infer<typeof reconciliationSchema>;

/**
 * What the playbooks an alert starts need to know. The provider-outage playbook moves a failing
 * model's calls to its backup: a model without one named here raises its alert and starts nothing.
 * The cost-runaway playbook climbs each tenant's ladder as far as its policy allows.
 */
const playbooksSchema = z.strictObject({
  provider_outage: z
    .strictObject({
      /** Model id -> the model its calls go to during an outage. */
      backups: z.record(z.string().min(1).max(200), z.string().min(1).max(200)).default({}),
      probe_every_seconds: z.number().int().min(5).max(3600).default(30),
      healthy_probes: z.number().int().min(1).max(1000).default(10),
      /** A probe answered slower than this fails (the latency rules start this playbook too). */
      slow_probe_ms: z.number().int().min(100).max(60_000).default(10_000),
      /** A latency alert's mitigation: the backup first (fallback), or the model's answers capped (max_tokens). */
      latency_mitigation: z.enum(['fallback', 'max_tokens']).default('fallback'),
      max_tokens: z.number().int().min(1).max(100_000).default(256),
    })
    .default({
      backups: {},
      probe_every_seconds: 30,
      healthy_probes: 10,
      slow_probe_ms: 10_000,
      latency_mitigation: 'fallback',
      max_tokens: 256,
    }),
  /** The quality alerts' playbook: roll back what changed, keep the evidence, verify. */
  quality_regression: z
    .strictObject({
      /** The rollback waits for `incident approve` (default: taken at once). */
      approval: z.boolean().default(false),
      approval_timeout_minutes: z.number().int().min(1).max(1440).default(15),
      on_timeout: z.enum(['proceed', 'skip']).default('proceed'),
      /** How far back a release counts as what changed. */
      change_hours: z.number().int().min(1).max(168).default(24),
      /** The alert must be back in bounds this long after the rollback, else the rollback is undone. */
      verify_minutes: z.number().int().min(1).max(1440).default(15),
    })
    .default({
      approval: false,
      approval_timeout_minutes: 15,
      on_timeout: 'proceed',
      change_hours: 24,
      verify_minutes: 15,
    }),
  /**
   * A rule that names the security playbook (none does by default): what its alerts are taken for,
   * and which steps wait for a person (the kill switch does by default: an alert is not a finding).
   */
  security: z
    .strictObject({
      finding: z.enum(SECURITY_FINDINGS).default('injection'),
      kill_switch: z.enum(['tenant', 'prompt', 'none']).optional(),
      approval: z
        .array(z.enum(['kill', 'purge']))
        .max(2)
        .default(['kill']),
      approval_timeout_minutes: z.number().int().min(1).max(1440).default(30),
      since_minutes: z.number().int().min(1).max(10_080).default(60),
      purge: z.boolean().default(true),
    })
    .default({
      finding: 'injection',
      approval: ['kill'],
      approval_timeout_minutes: 30,
      since_minutes: 60,
      purge: true,
    }),
  /** The cost-runaway ladder for every tenant, and tenants whose ladder differs (fields left out: the default's). */
  cost_runaway: costPolicySchema
    .extend({ tenants: z.record(tenantIdSchema, costPolicySchema.partial()).default({}) })
    .default({ ...DEFAULT_COST_POLICY, tenants: {} }),
});
export type PlaybookSettings = z.infer<typeof playbooksSchema>;
export const DEFAULT_PLAYBOOKS: PlaybookSettings = playbooksSchema.parse({});

/** A tenant's cost ladder: the monitors file's default with the tenant's own fields over it. */
export function costPolicyFor(playbooks: PlaybookSettings, tenant: string): CostPolicy {
  const { tenants, ...policy } = playbooks.cost_runaway;
  return { ...policy, ...tenants[tenant] };
}

const rulesFileSchema = z.strictObject({
  rules: z.array(ruleSchema).min(1),
  judge_sampling: judgeSamplingSchema.default(judgeSamplingSchema.parse({})),
  reconciliation: reconciliationSchema.default(reconciliationSchema.parse({})),
  playbooks: playbooksSchema.default(DEFAULT_PLAYBOOKS),
});
export type MonitorsFile = z.infer<typeof rulesFileSchema>;

/** The built-in monitors: cost, availability and latency (total and first token), guardrails, answer quality. */
const DEFAULT_MONITORS: MonitorsFile = rulesFileSchema.parse({
  rules: [
    {
      id: 'tenant-cost-spike',
      metric: 'cost_usd',
      by: ['tenant'],
      // Half an hour, scaled to an hour: a ×5 spend shows in about twenty minutes, a runaway loop in a few.
      // Not shorter: scaled from half an hour, an hour's spend at most doubles however bunched its calls are,
      // so a tenant with one big call an hour never looks like a 3× spike (20 minutes could triple it).
      window_minutes: 30,
      detector: { kind: 'spike' },
      playbook: 'cost-runaway',
    },
    {
      // Seed 000's "per-request cost 5× normal": a bloated context or a pricier model shows in a few
      // calls, long before the tenant's spend clears its half-hour window. Stretched (5 to 40
      // minutes) so a quiet tenant's night still holds five calls.
      id: 'tenant-cost-per-request',
      metric: 'cost_per_request',
      by: ['tenant'],
      window_minutes: 5,
      stretch: 8,
      min_volume: 5,
      detector: { kind: 'shift', change: 2 },
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
      playbook: 'provider-outage',
    },
    {
      id: 'guardrail-block-rate',
      metric: 'guardrail_block_rate',
      by: ['tenant'],
      min_volume: 100,
      stretch: 4,
      severity: 'ticket',
      detector: { kind: 'rate_shift', ratio: 2 },
    },
    {
      id: 'model-latency-shift',
      metric: 'latency_p99',
      by: ['model'],
      window_minutes: 30,
      min_volume: 50,
      severity: 'ticket',
      detector: { kind: 'spike', ratio: 2, floor_ms: 1000 },
      playbook: 'provider-outage',
    },
    {
      id: 'model-ttft',
      metric: 'slow_request_rate',
      by: ['model'],
      min_volume: 50,
      severity: 'ticket',
      detector: { kind: 'burn_rate', objective: 0.99, threshold_ms: 5000, of: 'ttft' },
    },
    {
      // Objectives per prompt and per context length: one prompt's long inputs can fail or crawl
      // while its model's totals look fine. Tickets: the model-wide rules page. (Availability per
      // context length is left to a rules file: a whole model's outage would raise one per bucket.)
      id: 'prompt-availability',
      metric: 'server_error_rate',
      by: ['prompt'],
      min_volume: 50,
      severity: 'ticket',
      detector: { kind: 'burn_rate', objective: 0.99 },
    },
    {
      id: 'prompt-latency',
      metric: 'slow_request_rate',
      by: ['prompt'],
      min_volume: 50,
      severity: 'ticket',
      detector: { kind: 'burn_rate', objective: 0.99, threshold_ms: 10_000 },
    },
    {
      // Long inputs are slower by nature: a looser bound than model-latency, per context bucket.
      id: 'context-latency',
      metric: 'slow_request_rate',
      by: ['model', 'context'],
      min_volume: 50,
      severity: 'ticket',
      detector: { kind: 'burn_rate', objective: 0.99, threshold_ms: 30_000 },
    },
    {
      id: 'prompt-bad-answers',
      metric: 'bad_answer_rate',
      by: ['prompt'],
      min_volume: 50,
      detector: { kind: 'burn_rate', objective: 0.95 },
      playbook: 'quality-regression',
    },
    {
      id: 'prompt-refusal-rate',
      metric: 'refusal_rate',
      by: ['prompt', 'model'],
      min_volume: 100,
      severity: 'ticket',
      detector: { kind: 'rate_shift', ratio: 2 },
    },
    {
      id: 'prompt-json-failures',
      metric: 'json_failure_rate',
      by: ['prompt', 'model'],
      min_volume: 100,
      severity: 'ticket',
      detector: { kind: 'rate_shift', ratio: 2 },
    },
    {
      id: 'prompt-output-length',
      metric: 'output_length',
      by: ['prompt', 'model'],
      min_volume: 100,
      severity: 'ticket',
      detector: { kind: 'shift', change: 0.3 },
    },
    {
      id: 'prompt-judge-score',
      metric: 'judge_score',
      by: ['prompt'],
      // Short, so a drop shows in minutes (confirmation sampling fills it); z 4, so a pass a minute over
      // many prompts does not fire on noise.
      window_minutes: 5,
      stretch: 32,
      severity: 'ticket',
      // 50 samples: with 20 the sample deviation is often too small and z too big (t, not normal).
      detector: { kind: 'drop', drop: 0.1, z: 4, min_samples: 50, suspect_z: 2 },
      playbook: 'quality-regression',
    },
    {
      id: 'prompt-negative-feedback',
      metric: 'negative_feedback_rate',
      by: ['prompt'],
      window_minutes: 240,
      min_volume: 30,
      severity: 'ticket',
      detector: { kind: 'rate_shift', ratio: 2 },
    },
    {
      id: 'guardrail-latency',
      metric: 'guardrail_latency_p99',
      window_minutes: 30,
      min_volume: 200,
      severity: 'ticket',
      detector: { kind: 'spike', ratio: 3, floor_ms: 5 },
    },
    {
      id: 'prompt-faithfulness',
      metric: 'faithfulness',
      by: ['prompt'],
      min_volume: 50,
      severity: 'ticket',
      detector: { kind: 'drop', change: 0.2 },
      playbook: 'quality-regression',
    },
    {
      id: 'guardrail-false-positives',
      metric: 'guardrail_false_positive_rate',
      window_minutes: 1440,
      min_volume: 20,
      severity: 'ticket',
      detector: { kind: 'threshold', max_rate: 0.05 },
    },
  ],
});

/** What runs when no rules file is given. */
export const DEFAULT_MONITOR_RULES: MonitorRule[] = DEFAULT_MONITORS.rules;

export const DEFAULT_MONITORS_FILE = 'flightdeck.monitors.yaml';

/** Rules from `file` (or ./flightdeck.monitors.yaml when present), else the defaults; a bad file names rule and field. */
export const loadMonitorRules = (file?: string): MonitorRule[] => loadMonitorsFile(file).rules;

/** The whole monitors file: its rules and its judge sampling (defaults where absent). */
export function loadMonitorsFile(file?: string): MonitorsFile {
  const path = file ?? (existsSync(DEFAULT_MONITORS_FILE) ? DEFAULT_MONITORS_FILE : undefined);
  if (!path) return DEFAULT_MONITORS;
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
  try {
    assertKnownJudgeModel(parsed.data.judge_sampling.judge_model);
  } catch (error) {
    throw new InputError(`${path}: judge_sampling.judge_model: ${(error as Error).message}`);
  }
  return parsed.data;
}
