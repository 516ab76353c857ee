import { stringify } from 'yaml';
import type { Pool } from '../db/pool';
import { InputError } from '../errors';
import type { ChatMessage } from '../providers/types';
import type { PromptSpec } from '../registry/promptFile';
import type { VariableValue } from '../registry/template';
import type { EvidenceAnswer } from './answerEvidence';
import { getIncident } from './incidentStore';

/** Past these, matching a template against its rendering could backtrack for too long: no recovery. */
const MAX_PLACEHOLDERS = 12;
const MAX_RENDERED_CHARS = 200_000;
const SEPARATOR = '\u0000';

/**
 * The variables that rendered a request's messages from its prompt version's template: the log keeps
 * the rendered messages, not the variables, so the template is matched against them (each
 * placeholder a group, a repeated one a backreference). Undefined when the messages do not come
 * from this template, or when a value does not fit its declared type.
 */
export function recoverVariables(
  spec: PromptSpec,
  messages: readonly ChatMessage[],
): Record<string, VariableValue> | undefined {
  const parts = spec.template.system === undefined ? [spec.template.user] : [spec.template.system, spec.template.user];
  const rendered = messages.slice(0, parts.length);
  const roles = spec.template.system === undefined ? ['user'] : ['system', 'user'];
  if (rendered.length !== parts.length || rendered.some((m, i) => m.role !== roles[i])) return undefined;
  const text = rendered.map((m) => m.content).join(SEPARATOR);
  if (text.length > MAX_RENDERED_CHARS) return undefined;

  const seen = new Set<string>();
  let pattern = '';
  let last = 0;
  const template = parts.join(SEPARATOR);
  for (const match of template.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)) {
    pattern += escapeRegExp(template.slice(last, match.index));
    const name = match[1]!;
    pattern += seen.has(name) ? `\\k<${name}>` : `(?<${name}>[\\s\\S]*?)`;
    seen.add(name);
    last = match.index + match[0].length;
  }
  if (seen.size > MAX_PLACEHOLDERS) return undefined;
  pattern += escapeRegExp(template.slice(last));
  const groups = new RegExp(`^${pattern}$`).exec(text)?.groups ?? (seen.size ? undefined : {});
  if (!groups) return undefined;

  const variables: Record<string, VariableValue> = {};
  for (const [name, raw] of Object.entries(groups)) {
    const declared = spec.variables[name];
    if (!declared) return undefined;
    if (raw === '' && !declared.required) continue; // an optional variable left unset renders as ''
    const value = declared.type === 'number' ? Number(raw) : declared.type === 'boolean' ? raw === 'true' : raw;
    if (declared.type === 'number' && (raw.trim() === '' || !Number.isFinite(value))) return undefined;
    if (declared.type === 'boolean' && raw !== 'true' && raw !== 'false') return undefined;
    variables[name] = value;
  }
  return variables;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A worst-scored answer with what it takes to make it a case: its stored messages and its version's spec. */
export interface EvidenceTuple {
  answer: EvidenceAnswer;
  messages: ChatMessage[] | null;
  spec: PromptSpec | null;
}

/** What the draft holds, and each evidence request left out with why. */
export interface GoldenDraft {
  name: string;
  prompt: string;
  yaml: string;
  cases: number;
  skipped: Array<{ requestId: string; why: string }>;
}

/**
 * A draft golden dataset from an incident's worst-scored answers, for review: one case per answer
 * whose variables could be recovered, asserting what the bad answers lacked (no refusal, a rubric
 * the reviewer sharpens), with the bad answer and its trace in the case's metadata.
 */
export function draftGoldenDataset(incident: { id: number; prompt: string }, tuples: EvidenceTuple[]): GoldenDraft {
  const name = `${incident.prompt}-incident-${incident.id}`;
  const skipped: GoldenDraft['skipped'] = [];
  const cases: object[] = [];
  for (const { answer, messages, spec } of tuples) {
    const why = !messages
      ? 'its stored body is gone (expired or purged)'
      : !spec
        ? `its version ${answer.version ?? '?'} is not in the registry`
        : undefined;
    const vars = messages && spec ? recoverVariables(spec, messages) : undefined;
    if (!vars) {
      skipped.push({ requestId: answer.requestId, why: why ?? "its messages do not match its version's template" });
      continue;
    }
    const extra = messages!.length - (spec!.template.system === undefined ? 1 : 2);
    cases.push({
      id: `incident-${incident.id}-${answer.requestId}`.replace(/[^A-Za-z0-9_.:-]/g, '-'),
      description: `Answered badly (judge ${answer.score.toFixed(2)}) by ${answer.version ?? '?'} in incident #${incident.id}`,
      vars,
      metadata: {
        request_id: answer.requestId,
        trace_id: answer.traceId,
        version: answer.version,
        judge_score: answer.score,
        bad_output: answer.output,
        ...(extra > 0 ? { note: `the request also carried ${extra} conversation message(s) a case cannot hold` } : {}),
      },
    });
  }
  const header = [
    `# Drafted by \`flightdeck incident cases\` from incident #${incident.id}: the answers of ${incident.prompt} that`,
    '# scored worst while it regressed. Review each case: sharpen the rubric with what a good answer does',
    "# (each bad answer is in its metadata), then add the cases to the prompt's golden set so the eval",
    '# gate catches this regression next time. The variables were recovered from the logged messages',
    '# (PII redacted as stored).',
  ].join('\n');
  const dataset = {
    name,
    prompt: incident.prompt,
    defaults: {
      assert: [
        { type: 'not-is-refusal' },
        { type: 'rubric', value: "Answers the user's request correctly and helpfully.", threshold: 0.6 },
      ],
    },
    cases,
  };
  return {
    name,
    prompt: incident.prompt,
    yaml: `${header}\n${stringify(dataset, { lineWidth: 0 })}`,
    cases: cases.length,
    skipped,
  };
}

/** The evidence of a quality incident with each answer's stored messages and version spec, read from Postgres. */
export async function evidenceTuples(
  pool: Pool,
  idOrWorkflowId: string,
): Promise<{ incident: { id: number; prompt: string }; tuples: EvidenceTuple[] }> {
  const incident = await getIncident(pool, idOrWorkflowId);
  const details = incident.timeline.find((s) => s.step === 'evidence')?.details ?? {};
  const evidence = details.answers as EvidenceAnswer[] | undefined;
  const prompt =
    incident.kind === 'quality-regression' ? ((details.prompt as string | undefined) ?? incident.key) : undefined;
  if (!prompt || !evidence?.length)
    throw new InputError(
      `Incident #${incident.id} kept no judged answers to draft cases from (only a quality-regression incident's evidence step does); see \`flightdeck incident show ${incident.id}\``,
    );
  const { rows } = await pool.query<{ request_id: string; messages: ChatMessage[] | null; spec: PromptSpec | null }>(
    `SELECT e.request_id, b.messages, v.spec
     FROM unnest($1::text[], $2::timestamptz[], $3::text[]) AS e(request_id, ts, version)
     -- The evidence keeps times to the millisecond; Postgres to the microsecond.
     LEFT JOIN request_bodies b
       ON b.request_id = e.request_id AND b.ts >= e.ts AND b.ts < e.ts + interval '1 millisecond'
     LEFT JOIN prompt_versions v ON v.prompt_name = $4 AND v.version = e.version`,
    [evidence.map((a) => a.requestId), evidence.map((a) => a.at), evidence.map((a) => a.version), prompt],
  );
  const byId = new Map(rows.map((r) => [r.request_id, r]));
  return {
    incident: { id: incident.id, prompt },
    tuples: evidence.map((answer) => ({
      answer,
      messages: byId.get(answer.requestId)?.messages ?? null,
      spec: byId.get(answer.requestId)?.spec ?? null,
    })),
  };
}
