import { stringify } from 'yaml';
import type { Pool } from '../db/pool';
import { InputError } from '../errors';
import type { ChatMessage } from '../providers/types';
import type { PromptSpec } from '../registry/promptFile';
import { PLACEHOLDER, type VariableValue } from '../registry/template';
import type { EvidenceAnswer } from './answerEvidence';
import { incidentEvidence } from './evidenceStep';
import { getIncident } from './incidentStore';

/**
 * Past these, recovering is given up (the request is listed as skipped): the logged text is the
 * tenant's, and a match with many ways to split it must not keep the CLI busy.
 */
const MAX_RENDERED_CHARS = 200_000;
const MAX_SPLITS_TRIED = 2_000;
const SEPARATOR = '\u0000';

type Token = { literal: string } | { name: string };

/** The template as literal text and placeholders, in order (empty literals left out). */
function tokens(template: string): Token[] {
  const out: Token[] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    if (match.index > last) out.push({ literal: template.slice(last, match.index) });
    out.push({ name: match[1]! });
    last = match.index + match[0].length;
  }
  if (last < template.length) out.push({ literal: template.slice(last) });
  return out;
}

/**
 * The values that make `template` render as `text`: each placeholder the shortest that lets the rest
 * match, a repeated one the same text again. At most MAX_SPLITS_TRIED splits are tried, so an
 * adversarial text (a value full of the template's own literals) costs bounded time, never a hang.
 */
function matchTemplate(template: string, text: string): Map<string, string> | undefined {
  const parts = tokens(template);
  const bound = new Map<string, string>();
  let tried = 0;
  // Where each literal last occurs: a search past it is answered without scanning the text again.
  const lastAt = new Map(
    parts.flatMap((p) => ('literal' in p ? [[p.literal, text.lastIndexOf(p.literal)] as const] : [])),
  );
  const find = (literal: string, at: number) => (at > lastAt.get(literal)! ? -1 : text.indexOf(literal, at));
  const from = (t: number, pos: number): boolean => {
    if (t === parts.length) return pos === text.length;
    const part = parts[t]!;
    if ('literal' in part) return text.startsWith(part.literal, pos) && from(t + 1, pos + part.literal.length);
    const known = bound.get(part.name);
    if (known !== undefined) return text.startsWith(known, pos) && from(t + 1, pos + known.length);
    // Where this value may end: the last part takes the rest; one before a literal ends where the
    // literal occurs; one before another placeholder anywhere. Shortest first.
    const next = parts[t + 1];
    const firstEnd = !next ? text.length : 'literal' in next ? find(next.literal, pos) : pos;
    const nextEnd = (end: number) =>
      !next ? -1 : 'literal' in next ? find(next.literal, end + 1) : end < text.length ? end + 1 : -1;
    for (let end = firstEnd; end !== -1; end = nextEnd(end)) {
      if (++tried > MAX_SPLITS_TRIED) return false;
      bound.set(part.name, text.slice(pos, end));
      if (from(t + 1, end)) return true;
      bound.delete(part.name);
    }
    return false;
  };
  return from(0, 0) && tried <= MAX_SPLITS_TRIED ? bound : undefined;
}

/**
 * The variables that rendered a request's messages from its prompt version's template: the log keeps
 * the rendered messages, not the variables, so the template is matched against them. Undefined when
 * the messages do not come from this template, when a value does not fit its declared type, or when
 * the text is too long or too ambiguous to split.
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
  const groups = matchTemplate(parts.join(SEPARATOR), text);
  if (!groups) return undefined;

  const variables: Record<string, VariableValue> = {};
  for (const [name, raw] of groups) {
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
  const { prompt: kept, answers: evidence } = incidentEvidence(incident.timeline);
  const prompt = incident.kind === 'quality-regression' ? (kept ?? incident.key) : undefined;
  if (!prompt || !evidence.length)
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
