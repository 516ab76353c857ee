import { z } from 'zod';
import { describeZodIssues, InputError } from '../errors';
import { modelIdSchema, oneLine } from './textFields';

/** The playbooks built so far (issue 14 names the rest: quality, cost, latency, security). */
export const INCIDENT_KINDS = ['provider-outage'] as const;
export type IncidentKind = (typeof INCIDENT_KINDS)[number];
export type IncidentStatus = 'mitigating' | 'mitigated' | 'restoring' | 'resolved' | 'escalated';

/** A provider-outage incident: what failed, where its calls go meanwhile, and when to trust it again. */
export const providerOutageInputSchema = z
  .strictObject({
    kind: z.literal('provider-outage'),
    /** The alert's key (a storm of alerts is one incident), or the model when on-call starts it. */
    key: oneLine(300),
    model: modelIdSchema,
    backup: modelIdSchema,
    reason: oneLine(1000),
    actor: oneLine(200),
    /** The alert that started it, when one did. */
    alertKey: oneLine(300).optional(),
    /** How often the primary is probed while its calls go to the backup. */
    probeEverySeconds: z.number().int().min(5).max(3600).default(30),
    /** Probes in a row that must pass before the calls go back to it. */
    healthyProbes: z.number().int().min(1).max(1000).default(10),
  })
  .refine((i) => i.model !== i.backup, { message: 'the backup must be another model', path: ['backup'] });
export type IncidentInput = z.input<typeof providerOutageInputSchema>;
export type ProviderOutage = z.output<typeof providerOutageInputSchema>;

/** An incident's start, checked; what is wrong is an InputError naming each field. */
export function parseIncidentInput(raw: unknown): ProviderOutage {
  const parsed = providerOutageInputSchema.safeParse(raw);
  if (!parsed.success) throw new InputError(describeZodIssues('The incident', parsed.error.issues));
  return parsed.data;
}

/** The one line the Temporal UI's list shows for an incident. */
export const incidentSummary = (input: Pick<ProviderOutage, 'model' | 'backup'>) =>
  `Provider outage: ${input.model} (backup ${input.backup})`;

export function incidentWorkflowId(kind: IncidentKind, key: string): string {
  return `incident/${kind}/${key}`;
}

/** What the incident's `status` query answers (and the CLI prints). */
export interface IncidentView {
  incidentId?: number;
  kind: IncidentKind;
  key: string;
  status: IncidentStatus;
  model: string;
  backup: string;
  /** Probes of the primary so far, and how many passed in a row. */
  probes: number;
  healthyInARow: number;
  healthyProbes: number;
  resolvedBy?: string;
  /** Why the mitigation failed, when it did (the incident stays open, escalated). */
  failure?: string;
}

/** The incident's details as the Temporal UI shows them (markdown: a heading line, then a list). */
export function incidentDetails(view: IncidentView): string {
  return [
    `**Provider outage: ${view.model}** (${view.status})`,
    '',
    `- calls go to: ${view.status === 'mitigated' ? `${view.backup} first` : view.model}`,
    `- probes of ${view.model}: ${view.probes}, healthy in a row: ${view.healthyInARow} of ${view.healthyProbes}`,
    ...(view.failure ? [`- mitigation failed: ${view.failure}`] : []),
    '- signal: resolve',
  ].join('\n');
}
