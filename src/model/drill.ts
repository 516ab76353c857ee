import { z } from 'zod';
import { describeZodIssues, InputError } from '../errors';
import { identifierSchema, modelIdSchema, oneLine, tenantIdSchema } from './textFields';

/** The drills built so far: each proves one playbook or release path works, on synthetic traffic only. */
export const DRILL_KINDS = ['provider-kill', 'prompt-rollback'] as const;
export type DrillKind = (typeof DRILL_KINDS)[number];

/** The synthetic tenant drills use unless told otherwise (created as synthetic on first use). */
export const DEFAULT_DRILL_TENANT = 'flightdeck-drills';
/** The synthetic prompt the rollback drill pushes versions of. */
export const DEFAULT_DRILL_PROMPT = 'flightdeck-drill';
/** Who owns the rollback drill's prompt: a prompt of that name owned by anyone else is a real one, and refused. */
export const DRILL_PROMPT_OWNER = 'flightdeck-drills';
/** A playbook not passed in a drill for this long raises `drill-overdue`. */
export const DRILL_OVERDUE_DAYS = 92;

const common = {
  id: z.string().regex(/^[A-Za-z0-9._:-]{1,100}$/, 'a drill id is 1-100 letters, digits, ".", "_", ":" or "-"'),
  tenant: tenantIdSchema.default(DEFAULT_DRILL_TENANT),
  /** Check the stop conditions and the preconditions, inject nothing. */
  dryRun: z.boolean().default(false),
  actor: oneLine(200),
};

/** Switch the model off for the drill tenant; expect the outage playbook to move its calls and recover. */
const providerKillSchema = z.strictObject({
  kind: z.literal('provider-kill'),
  ...common,
  /** The model switched off; it needs a backup in the monitors file (else the first model with one). */
  model: modelIdSchema.optional(),
  /** Synthetic requests a second while the fault is on. */
  requestsPerSecond: z.number().min(0.5).max(50).default(5),
  /** Each check's deadline, from the fault's start. */
  detectWithinSeconds: z.number().int().min(5).max(1800).default(120),
  mitigateWithinSeconds: z.number().int().min(5).max(1800).default(180),
  /** From the fault's end to the playbook closing by itself (its healthy probes in a row). */
  recoverWithinSeconds: z.number().int().min(5).max(3600).default(900),
});

/** Push a synthetic version, promote it, roll it back; every gateway must follow within seconds. */
const promptRollbackSchema = z.strictObject({
  kind: z.literal('prompt-rollback'),
  ...common,
  prompt: identifierSchema.default(DEFAULT_DRILL_PROMPT),
  /** The synthetic prompt's model: cheap, and priced by every providers file we ship. */
  model: modelIdSchema.default('gpt-4o-mini-2024-07-18'),
  /** Every gateway serves the promoted, then the earlier, version within this. */
  withinSeconds: z.number().int().min(1).max(300).default(10),
});

export const drillInputSchema = z.discriminatedUnion('kind', [providerKillSchema, promptRollbackSchema]);
export type DrillInput = z.output<typeof drillInputSchema>;
export type ProviderKillDrill = z.output<typeof providerKillSchema>;
export type PromptRollbackDrill = z.output<typeof promptRollbackSchema>;

/** A drill's start, checked; what is wrong is an InputError naming each field. */
export function parseDrillInput(raw: unknown): DrillInput {
  const parsed = drillInputSchema.safeParse(raw);
  if (!parsed.success) throw new InputError(describeZodIssues('The drill', parsed.error.issues));
  return parsed.data;
}

export function parseDrillKind(kind: string): DrillKind {
  if ((DRILL_KINDS as readonly string[]).includes(kind)) return kind as DrillKind;
  throw new InputError(`Unknown drill kind "${kind}": use one of ${DRILL_KINDS.join(', ')}`);
}

export const drillWorkflowId = (kind: DrillKind, id: string): string => `drill/${kind}/${id}`;

/** One check of a drill: what was expected, whether it held, and when (seconds from the drill's start). */
export interface DrillCheck {
  name: string;
  passed: boolean;
  /** Seconds from the start of the drill (or of its fault) to the moment the check held or gave up. */
  seconds?: number;
  detail: string;
}

export type DrillStatus = 'running' | 'passed' | 'failed' | 'aborted';

/** What the drill's query, its report row and `drill run` show. */
export interface DrillView {
  workflowId: string;
  kind: DrillKind;
  tenant: string;
  dryRun: boolean;
  status: DrillStatus;
  step: string;
  checks: DrillCheck[];
  summary?: string;
  abortedBy?: string;
}
