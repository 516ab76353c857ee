import type { Pool } from '../db/pool';
import type { MonitorAlert } from '../monitoring/alertStore';
import { latestAlertByKey } from '../monitoring/alertStore';
import type { IncidentKind } from '../model/incident';
import { incidentEvidence } from './evidenceStep';
import type { AffectedRequest } from './securityEvidence';
import { getIncident, type IncidentRecord, type IncidentStep } from './incidentStore';

/** What a postmortem is written from: the incident, its timeline, what it changed, and its alert. */
export interface PostmortemFacts {
  incident: IncidentRecord & { timeline: IncidentStep[] };
  /** Audit rows the incident's workflow wrote (label moves, routes, tenant status, overrides). */
  changes: Array<{
    ts: Date;
    action: string;
    subject: string;
    from: string | null;
    to: string | null;
    reason: string | null;
  }>;
  alert?: MonitorAlert;
  /** Evidence requests replayed from their stored tuples (`flightdeck replay`), when asked for. */
  replays?: Array<{ requestId: string; reproduced?: boolean; score?: number; error?: string }>;
}

/** The facts, read from Postgres. */
export async function gatherPostmortemFacts(pool: Pool, idOrWorkflowId: string): Promise<PostmortemFacts> {
  const incident = await getIncident(pool, idOrWorkflowId);
  const { rows } = await pool.query<{
    ts: Date;
    action: string;
    subject: string;
    from_value: string | null;
    to_value: string | null;
    reason: string | null;
  }>(
    `SELECT ts, action, subject, from_value, to_value, reason FROM audit_log
     WHERE (actor = $1 OR details->>'incident' = $1 OR starts_with(reason, $1)) AND ts >= $2 ORDER BY id`,
    [incident.workflowId, incident.openedAt],
  );
  return {
    incident,
    changes: rows.map((r) => ({ ...r, from: r.from_value, to: r.to_value })),
    alert: incident.alertKey ? await latestAlertByKey(pool, incident.alertKey) : undefined,
  };
}

const FOLLOW_UPS: Record<IncidentKind, string[]> = {
  'provider-outage': [
    'Check the backup served within its latency and quality objectives while the override held.',
    'Review `healthy_probes` and `probe_every_seconds`: did calls go back at the right time?',
    'Rehearse this playbook in a kill drill before the next outage.',
  ],
  'cost-runaway': [
    "Fix the cause with the tenant's owner (see the investigation), then restore the tenant.",
    "Set or lower the tenant's hard budget (`flightdeck tenant budget`) so a loop stops at a limit.",
    'If the cause was a new prompt version, eval its token use before the next release.',
  ],
  'quality-regression': [
    'Draft the evidence answers as golden cases (`flightdeck incident cases`), write the expected behaviour, and add them to the golden set so the eval gate catches this next time.',
    'Re-run the eval suite on the rolled-back version and on the fix before releasing again.',
    'If nothing was released, check the provider for a model change under the same name.',
  ],
  security: [
    'Find how it got through (the evidence lists each request, its trace and what its guardrails decided) and add the pattern to the guardrails and the jailbreak canaries.',
    'Confirm the tenant has moved to the new key before its overlap closes, and that the purged bodies are gone from every backup.',
    'Tell the affected tenant what was exposed, with the evidence bundle (`flightdeck incident bundle`).',
  ],
};

const md = (text: string) => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
const at = (d: Date) =>
  d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');

/** The postmortem as markdown: what happened, when, who did what, the evidence, and what to do next. */
export function writePostmortem(facts: PostmortemFacts, now: Date = new Date()): string {
  const { incident, changes, alert } = facts;
  const minutes = Math.round(((incident.resolvedAt ?? now).getTime() - incident.openedAt.getTime()) / 60_000);
  const { answers, requests: affected, more } = incidentEvidence(incident.timeline);
  const lines = [
    `# Postmortem: incident #${incident.id}, ${incident.kind} (${incident.key})`,
    '',
    incident.resolvedAt
      ? `Resolved by ${incident.resolvedBy} after ${minutes} min.`
      : `**Draft: the incident is still open (${incident.status}, ${minutes} min so far).**`,
    '',
    '## Summary',
    `- opened ${at(incident.openedAt)} by ${incident.openedBy}: ${md(incident.reason)}`,
    `- workflow: \`${incident.workflowId}\` (its full history: \`temporal workflow show -w '${incident.workflowId}'\`)`,
    `- status: ${incident.status}`,
    '',
    '## Detection',
    ...(alert
      ? [
          `- alert \`${alert.key}\` (rule ${alert.ruleId}, ${alert.severity}), first fired ${at(alert.firstFiredAt)}: ${md(alert.summary)}`,
          ...Object.entries(alert.numbers).map(([name, value]) => `  - ${name}: ${value}`),
          `- alert now: ${alert.state}${alert.resolvedAt ? ` (${at(alert.resolvedAt)}, ${alert.resolvedBy})` : ''}`,
        ]
      : ['- started by hand, no alert']),
    '',
    '## Timeline',
    '| at (UTC) | step | by | what |',
    '|---|---|---|---|',
    ...incident.timeline.map((s) => `| ${at(s.at)} | ${s.step} | ${md(s.actor)} | ${md(s.message)} |`),
    '',
    '## What the incident changed',
    ...(changes.length
      ? changes.map(
          (c) =>
            `- ${at(c.ts)} ${c.action} ${c.subject}: ${c.from ?? 'none'} -> ${c.to ?? 'none'}${c.reason ? ` (${md(c.reason)})` : ''}`,
        )
      : ['- nothing in the audit log']),
    '',
    '## Evidence',
    ...(answers.length
      ? [
          '| score | request | trace | version | input | output |',
          '|---|---|---|---|---|---|',
          ...answers.map(
            (a) =>
              `| ${a.score.toFixed(2)} | ${a.requestId} | ${a.traceId ?? '-'} | ${a.version ?? '-'} | ${md(a.input ?? '').slice(0, 120)} | ${md(a.output ?? '').slice(0, 120)} |`,
          ),
          '',
          ...reproductionLines(facts.replays),
        ]
      : affected.length
        ? affectedLines(affected, more)
        : ['- no request evidence was collected for this kind of incident']),
    '',
    '## Follow-ups',
    ...FOLLOW_UPS[incident.kind].map((f) => `- [ ] ${f}`),
    '',
  ];
  return lines.join('\n');
}

/** A security incident's affected requests: where to find each trace, and the digest of its body before any purge. */
function affectedLines(affected: AffectedRequest[], more: number): string[] {
  const shown = affected.slice(0, 50);
  const guards = (a: AffectedRequest) =>
    a.guardrails
      .filter((g) => g.decision !== 'allow')
      .map((g) => `${g.id}:${g.decision}`)
      .join(', ') || '-';
  return [
    '| at (UTC) | request | trace | tenant | prompt | guardrails | body sha256 |',
    '|---|---|---|---|---|---|---|',
    ...shown.map(
      (a) =>
        `| ${at(new Date(a.at))} | ${a.requestId} | ${a.traceId ?? '-'} | ${a.tenant ?? '-'} | ${a.prompt ? `${a.prompt}@${a.version ?? '?'}` : '-'} | ${guards(a)} | ${a.body ? a.body.sha256.slice(0, 16) : 'none stored'} |`,
    ),
    ...(affected.length + more > shown.length
      ? ['', `${affected.length + more - shown.length} more in the evidence bundle (\`flightdeck incident bundle\`).`]
      : []),
  ];
}

/** Whether the bad answers came back from their stored tuples; without replays, how to check. */
function reproductionLines(replays: PostmortemFacts['replays']): string[] {
  if (!replays?.length)
    return ['Reproduced: not checked here; run `flightdeck replay <request>` on the requests above.'];
  const reproduced = replays.filter((r) => r.reproduced).length;
  return [
    `Reproduced: ${reproduced} of ${replays.length} replayed from their stored tuples${reproduced === 0 ? ' (none: check the tracing and the stored tuple before trusting this postmortem)' : ''}.`,
    ...replays.map(
      (r) =>
        `- ${r.requestId}: ${r.error ? `replay failed (${md(r.error)})` : `${r.reproduced ? 'reproduced' : 'not reproduced'}, judge ${r.score?.toFixed(2) ?? '?'}`}`,
    ),
  ];
}

/** Write the postmortem and keep it with the incident (written again each time: the latest evidence wins). */
export async function storePostmortem(pool: Pool, incidentId: number, text: string): Promise<void> {
  await pool.query('UPDATE incidents SET postmortem = $2, postmortem_at = now() WHERE id = $1', [incidentId, text]);
}
