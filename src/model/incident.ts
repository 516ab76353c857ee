import { z } from 'zod';
import { describeZodIssues, InputError } from '../errors';
import { costPolicySchema, type CostStep } from './costPolicy';
import { identifierSchema, modelIdSchema, oneLine, tenantIdSchema } from './textFields';

/** The playbooks built so far (a latency spike runs the provider-outage one: its fallback is the mitigation). */
export const INCIDENT_KINDS = ['provider-outage', 'cost-runaway', 'quality-regression', 'security'] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];
export type IncidentStatus = 'mitigating' | 'mitigated' | 'awaiting-approval' | 'restoring' | 'resolved' | 'escalated';

const common = {
  /** The alert's key (a storm of alerts is one incident), or the model or tenant when on-call starts it. */
  key: oneLine(300),
  reason: oneLine(1000),
  actor: oneLine(200),
  /** The alert that started it, when one did. */
  alertKey: oneLine(300).optional(),
};

/**
 * A provider-outage incident (a latency spike is one of its own kind): what failed, how its calls are
 * helped meanwhile (sent to the backup first, or their answers capped), and when to trust it again.
 */
const providerOutageSchema = z
  .strictObject({
    kind: z.literal('provider-outage'),
    ...common,
    model: modelIdSchema,
    /** fallback: the backup serves first; max-tokens: the model keeps serving, answers capped at `maxTokens`. */
    mitigation: z.enum(['fallback', 'max-tokens']).default('fallback'),
    backup: modelIdSchema.optional(),
    maxTokens: z.number().int().min(1).max(100_000).default(256),
    /** How often the primary is probed while its calls go to the backup. */
    probeEverySeconds: z.number().int().min(5).max(3600).default(30),
    /** Probes in a row that must pass before the calls go back to it. */
    healthyProbes: z.number().int().min(1).max(1000).default(10),
    /** A probe answered slower than this fails too (a latency spike is an outage of its own kind). */
    slowProbeMs: z.number().int().min(100).max(60_000).default(10_000),
    /**
     * A drill's synthetic tenant: the model is down for its calls only, so the override, the probes
     * and the undo concern its calls only (a drill never moves real traffic).
     */
    tenant: tenantIdSchema.optional(),
  })
  .refine((i) => i.model !== i.backup, { message: 'the backup must be another model', path: ['backup'] })
  .refine((i) => i.mitigation !== 'fallback' || i.backup, {
    message: 'a fallback needs the backup model',
    path: ['backup'],
  })
  .refine((i) => !i.tenant || i.mitigation === 'fallback', {
    message: "a tenant's own outage (a drill) is mitigated by the backup: output caps are gateway-wide",
    path: ['mitigation'],
  });

/** The provider-outage incident of a model down for one drill tenant only (its own key, never the model's). */
export const drillOutageKey = (model: string, tenant: string): string => `${model}@${tenant}`;

/** A runaway spend: the tenant, and how far the ladder may go for it. */
const costRunawaySchema = z.strictObject({
  kind: z.literal('cost-runaway'),
  ...common,
  tenant: tenantIdSchema,
  policy: costPolicySchema.default(costPolicySchema.parse({})),
  /** Minutes between spend checks. */
  checkEveryMinutes: z.number().int().min(1).max(60).default(1),
});

/** A prompt answering worse: what changed, the rollback, the evidence, and a check that it helped. */
const qualityRegressionSchema = z.strictObject({
  kind: z.literal('quality-regression'),
  ...common,
  prompt: identifierSchema,
  /** The rollback waits for `approve` (default: it is taken at once). */
  approval: z.boolean().default(false),
  approvalTimeoutMinutes: z.number().int().min(1).max(1440).default(15),
  onTimeout: z.enum(['proceed', 'skip']).default('proceed'),
  /** How far back a release counts as what changed. */
  changeHours: z.number().int().min(1).max(168).default(24),
  /** After the rollback, the alert must be back in bounds within this many minutes, else it is undone. */
  verifyMinutes: z.number().int().min(1).max(1440).default(15),
});

export const SECURITY_FINDINGS = ['injection', 'pii-output', 'leaked-key'] as const;
export type SecurityFinding = (typeof SECURITY_FINDINGS)[number];

function killSwitchOf(i: {
  killSwitch?: 'tenant' | 'prompt' | 'none';
  finding: SecurityFinding;
  prompt?: string;
}): 'tenant' | 'prompt' | 'none' {
  return i.killSwitch ?? (i.finding === 'leaked-key' ? 'none' : i.prompt ? 'prompt' : 'tenant');
}

/**
 * A security finding (an injection that succeeded, PII in an answer, a leaked key): the kill switch,
 * the evidence bundle, the purge of the affected bodies, and for a leaked key the rotation.
 */
const securitySchema = z
  .strictObject({
    kind: z.literal('security'),
    ...common,
    finding: z.enum(SECURITY_FINDINGS),
    tenant: tenantIdSchema.optional(),
    prompt: identifierSchema.optional(),
    /** Requests known to be affected; those a guardrail acted on in the window are added. */
    requestIds: z.array(oneLine(200)).max(1000).default([]),
    sinceMinutes: z.number().int().min(1).max(10_080).default(60),
    /**
     * What is switched off until the incident resolves. Default: for a leaked key nothing (the
     * rotation contains it); else the prompt when one is named, else the tenant.
     */
    killSwitch: z.enum(['tenant', 'prompt', 'none']).optional(),
    /** Delete the stored bodies of the affected requests (their digests stay in the evidence). */
    purge: z.boolean().default(true),
    /** Rotate the tenant's key (default: for a leaked key). A person makes the new key: it never enters the history. */
    rotateKey: z.boolean().optional(),
    /** Minutes the old key keeps working after the rotation, so the tenant can roll out the new one. */
    overlapMinutes: z.number().int().min(0).max(10_080).default(60),
    /** Steps that wait for `approve` (the key rotation always does). */
    approval: z
      .array(z.enum(['kill', 'purge']))
      .max(2)
      .default([]),
    approvalTimeoutMinutes: z.number().int().min(1).max(1440).default(30),
  })
  .superRefine((i, ctx) => {
    const problem = (message: string, path: string) => ctx.addIssue({ code: 'custom', message, path: [path] });
    if (!i.tenant && !i.prompt) problem('name the tenant or the prompt the finding is about', 'tenant');
    const switched = killSwitchOf(i);
    if (switched === 'tenant' && !i.tenant) problem('a tenant kill switch needs the tenant', 'killSwitch');
    if (switched === 'prompt' && !i.prompt) problem('a prompt kill switch needs the prompt', 'killSwitch');
    if ((i.rotateKey ?? i.finding === 'leaked-key') && !i.tenant)
      problem('a key rotation needs the tenant', 'rotateKey');
  })
  .transform((i) => ({
    ...i,
    killSwitch: killSwitchOf(i),
    rotateKey: i.rotateKey ?? i.finding === 'leaked-key',
  }));

const incidentInputSchema = z.discriminatedUnion('kind', [
  providerOutageSchema,
  costRunawaySchema,
  qualityRegressionSchema,
  securitySchema,
]);
export type IncidentInput = z.input<typeof incidentInputSchema>;
export type ProviderOutage = z.output<typeof providerOutageSchema>;
export type CostRunaway = z.output<typeof costRunawaySchema>;
export type QualityRegression = z.output<typeof qualityRegressionSchema>;
export type Security = z.output<typeof securitySchema>;
export type Incident = ProviderOutage | CostRunaway | QualityRegression | Security;

/** The steps a person may be asked to approve. */
export const APPROVABLE_STEPS = ['throttle', 'kill', 'rollback', 'purge', 'rotate-key'] as const;
export type ApprovableStep = (typeof APPROVABLE_STEPS)[number];

/** An incident's start, checked; what is wrong is an InputError naming each field. */
export function parseIncidentInput(raw: unknown): Incident {
  const parsed = incidentInputSchema.safeParse(raw);
  if (!parsed.success) throw new InputError(describeZodIssues('The incident', parsed.error.issues));
  return parsed.data;
}

/** The one line the Temporal UI's list shows for an incident. */
export function incidentSummary(input: IncidentInput): string {
  if (input.kind === 'provider-outage')
    return `Provider outage: ${input.model} (${input.backup ? `backup ${input.backup}` : `answers capped${input.maxTokens ? ` at ${input.maxTokens} tokens` : ''}`})`;
  if (input.kind === 'cost-runaway') return `Cost runaway: tenant ${input.tenant}`;
  if (input.kind === 'security') return `Security (${input.finding}): ${securityTarget(input)}`;
  return `Quality regression: prompt ${input.prompt}`;
}

function securityTarget(i: { tenant?: string; prompt?: string }): string {
  return [i.tenant && `tenant ${i.tenant}`, i.prompt && `prompt ${i.prompt}`].filter(Boolean).join(', ');
}

export function incidentWorkflowId(kind: IncidentKind, key: string): string {
  return `incident/${kind}/${key}`;
}

/** Carried through continue-as-new: a long incident's checks would otherwise fill the history. */
export interface IncidentResume {
  incidentId: number;
  outage?: { probes: number; healthyInARow: number };
  cost?: { rung: CostStep | 'none'; rungAt: number; declined?: { step: CostStep; at: number } };
}

/** A rung waiting for on-call's approval, and what happens when nobody answers. */
export interface PendingApproval {
  step: ApprovableStep;
  until: string;
  onTimeout: 'proceed' | 'skip';
}

/** What the incident's `status` query answers (and the CLI prints). */
export interface IncidentView {
  incidentId?: number;
  kind: IncidentKind;
  key: string;
  status: IncidentStatus;
  /** Kind-specific state, one line each in the UI's details. */
  outage?: {
    model: string;
    /** Where its calls go first, or the output cap its calls get, while mitigated. */
    backup?: string;
    maxTokens?: number;
    probes: number;
    healthyInARow: number;
    healthyProbes: number;
    /** What the investigation found (a latency spike's likely cause), once it ran. */
    cause?: string;
  };
  cost?: {
    tenant: string;
    rung: CostStep | 'none';
    ratio?: number | null;
    usdPerHour?: number;
    baselineUsdPerHour?: number;
    cause?: string;
    throttleRpm?: number;
  };
  quality?: {
    prompt: string;
    production?: string | null;
    /** What the rollback did or would do. */
    rollback?: string;
    /** The worst-scored answers kept as evidence. */
    evidence?: number;
    verified?: boolean;
  };
  security?: {
    finding: SecurityFinding;
    tenant?: string;
    prompt?: string;
    killSwitch: 'tenant' | 'prompt' | 'none';
    /** The kill switch is on (this incident's). */
    killed?: boolean;
    affected?: number;
    purged?: number;
    /** After the rotation: the new key's prefix, and when the old key stops (or stopped) working. */
    newKeyPrefix?: string;
    oldKeyUntil?: string;
    oldKeyRevoked?: boolean;
  };
  awaiting?: PendingApproval;
  ackedBy?: string;
  escalations: number;
  resolvedBy?: string;
  /** Why the mitigation failed, when it did (the incident stays open, escalated). */
  failure?: string;
  /** The last signal ignored for its payload (a signal cannot refuse). */
  ignored?: string;
}

const usd = (n: number | undefined) => (n === undefined ? '?' : `$${n.toFixed(2)}`);

/** The incident's details as the Temporal UI shows them (markdown: a heading line, then a list). */
export function incidentDetails(view: IncidentView): string {
  const lines: string[] = [];
  if (view.outage) {
    const o = view.outage;
    lines.push(
      `**Provider outage: ${o.model}** (${view.status})`,
      '',
      view.status !== 'mitigated'
        ? `- calls go to: ${o.model}`
        : o.backup
          ? `- calls go to: ${o.backup} first`
          : `- answers capped at: ${o.maxTokens} output tokens`,
      `- probes of ${o.model}: ${o.probes}, healthy in a row: ${o.healthyInARow} of ${o.healthyProbes}`,
      ...(o.cause ? [`- likely cause: ${o.cause}`] : []),
    );
  }
  if (view.cost) {
    const c = view.cost;
    lines.push(
      `**Cost runaway: tenant ${c.tenant}** (${view.status})`,
      '',
      `- ladder: ${c.rung}${c.throttleRpm ? ` (${c.throttleRpm} requests a minute per gateway)` : ''}`,
      `- spend: ${usd(c.usdPerHour)}/h against ${usd(c.baselineUsdPerHour)}/h usual` +
        (c.ratio === undefined ? '' : c.ratio === null ? ' (no usual spend)' : ` (${c.ratio.toFixed(1)}x)`),
      ...(c.cause ? [`- likely cause: ${c.cause}`] : []),
    );
  }
  if (view.quality) {
    const q = view.quality;
    lines.push(
      `**Quality regression: prompt ${q.prompt}** (${view.status})`,
      '',
      `- production: ${q.production ?? '?'}`,
      ...(q.rollback ? [`- rollback: ${q.rollback}`] : []),
      ...(q.evidence !== undefined ? [`- evidence: ${q.evidence} worst-scored answers`] : []),
      ...(q.verified !== undefined ? [`- verified: ${q.verified ? 'back in bounds' : 'still out of bounds'}`] : []),
    );
  }
  if (view.security) {
    const s = view.security;
    lines.push(
      `**Security (${s.finding}): ${securityTarget(s)}** (${view.status})`,
      '',
      `- kill switch: ${s.killSwitch === 'none' ? 'none' : `${s.killSwitch} ${s.killed ? 'off (refused)' : 'serving'}`}`,
      ...(s.affected !== undefined ? [`- affected requests: ${s.affected}, bodies purged: ${s.purged ?? 0}`] : []),
      ...(s.newKeyPrefix
        ? [
            `- key rotated: new ${s.newKeyPrefix}..., old key ${s.oldKeyRevoked ? 'revoked' : `works until ${s.oldKeyUntil ?? 'now'}`}`,
          ]
        : []),
    );
  }
  if (view.awaiting)
    lines.push(
      `- waiting for approval of: ${view.awaiting.step}, until ${view.awaiting.until} (then ${view.awaiting.onTimeout})`,
    );
  if (view.ackedBy) lines.push(`- acknowledged by: ${view.ackedBy}`);
  if (view.escalations) lines.push(`- escalated: ${view.escalations} time(s)`);
  if (view.failure) lines.push(`- mitigation failed: ${view.failure}`);
  lines.push(`- messages: ${view.awaiting ? 'approve (update), ' : ''}ack, escalate, resolve`);
  return lines.join('\n');
}

/** On-call's answer to a rung waiting for approval (the `approve` Update). */
const approvalSchema = z
  .strictObject({
    step: z.enum(APPROVABLE_STEPS),
    approve: z.boolean(),
    actor: oneLine(100),
    reason: oneLine(500).optional(),
    /** rotate-key: the new key's sha256 and prefix (the key stays with the person who made it). */
    newKeyHash: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'a sha256 in hex')
      .optional(),
    newKeyPrefix: oneLine(20).optional(),
  })
  .refine((a) => !(a.step === 'rotate-key' && a.approve) || (a.newKeyHash && a.newKeyPrefix), {
    message:
      "approving rotate-key needs the new key's newKeyHash and newKeyPrefix (`flightdeck incident approve` makes them)",
    path: ['newKeyHash'],
  });
export type Approval = z.output<typeof approvalSchema>;

/**
 * An `approve` payload, checked against the rung waiting: the Update's validator throws this
 * error (the caller sees it, the history keeps nothing) for a bad payload or a step not waiting.
 */
export function parseApproval(raw: unknown, awaiting: PendingApproval | undefined): Approval {
  const parsed = approvalSchema.safeParse(raw);
  if (!parsed.success)
    throw new InputError(
      `${describeZodIssues('The approval', parsed.error.issues)}\nSend {"step": "${APPROVABLE_STEPS.join('"|"')}", "approve": true|false, "actor": "<who>"}.`,
    );
  if (!awaiting || awaiting.step !== parsed.data.step)
    throw new InputError(
      `Nothing waits for approval of "${parsed.data.step}"${awaiting ? `; "${awaiting.step}" does` : ' now'}. See \`flightdeck incident show\`.`,
    );
  return parsed.data;
}
