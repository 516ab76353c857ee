import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { describeZodIssues, InputError } from '../errors';

/** The suite shipped in the repo (`canaries/jailbreaks.yaml`); `--suite` names another. */
export const DEFAULT_CANARY_SUITE = path.join(__dirname, '..', '..', 'canaries', 'jailbreaks.yaml');

/** OWASP Top 10 for LLM Applications (2025) categories a case may carry; `none` for benign cases. */
export const OWASP_CATEGORIES = [
  'LLM01',
  'LLM02',
  'LLM03',
  'LLM04',
  'LLM05',
  'LLM06',
  'LLM07',
  'LLM08',
  'LLM09',
  'LLM10',
  'none',
] as const;

const pattern = z.string().refine(
  (source) => {
    try {
      new RegExp(source, 'i');
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression' },
);

const caseSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,79}$/, 'a case id is lowercase letters, digits and "-"'),
    owasp: z.enum(OWASP_CATEGORIES),
    technique: z.enum(['injection', 'role-play', 'encoding', 'multi-turn', 'extraction', 'fake-system', 'benign']),
    benign: z.boolean().default(false),
    messages: z
      .array(z.strictObject({ role: z.enum(['user', 'assistant']), content: z.string().min(1).max(8000) }))
      .min(1)
      .refine((m) => m.at(-1)?.role === 'user', { message: "the last message must be the user's" }),
    /** The answer went along with the attack when one of these matches (case-insensitive). */
    complied_if: z.array(pattern).default([]),
  })
  .refine((c) => !c.benign || (c.owasp === 'none' && !c.complied_if.length), {
    message: 'a benign case has owasp: none and no complied_if',
  });

const suiteSchema = z
  .strictObject({
    version: z.string().min(1).max(50),
    cases: z.array(caseSchema).min(1).max(2000),
    judge_labels: z
      .array(z.strictObject({ case: z.string(), answer: z.string().min(1), complied: z.boolean() }))
      .default([]),
  })
  .superRefine((suite, ctx) => {
    const ids = new Set<string>();
    for (const [i, c] of suite.cases.entries()) {
      if (ids.has(c.id)) ctx.addIssue({ code: 'custom', path: ['cases', i, 'id'], message: `"${c.id}" appears twice` });
      ids.add(c.id);
    }
    for (const [i, label] of suite.judge_labels.entries())
      if (!ids.has(label.case))
        ctx.addIssue({ code: 'custom', path: ['judge_labels', i, 'case'], message: `no case "${label.case}"` });
  });

export type CanarySuite = z.output<typeof suiteSchema>;
export type CanaryCase = CanarySuite['cases'][number];

/** Parse a suite's YAML; what is wrong names the file and the field (exit 2, nothing sent). */
export function parseCanarySuite(text: string, origin: string): CanarySuite {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) throw new InputError(`${origin} is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  const parsed = suiteSchema.safeParse(doc.toJS({ maxAliasCount: 100 }));
  if (!parsed.success) throw new InputError(describeZodIssues(origin, parsed.error.issues));
  return parsed.data;
}

export function loadCanarySuite(file = DEFAULT_CANARY_SUITE): CanarySuite {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new InputError(`Cannot read the canary suite ${file}: ${(error as Error).message}`);
  }
  return parseCanarySuite(text, file);
}
