import { identifierSchema } from '../model/textFields';
import { readFileSync, statSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { unstorableReason } from '../util/storableText';
import { z } from 'zod';
import { InputError, describeZodIssues } from '../errors';
import { parseDuration, parseSteps } from '../model/rolloutSteps';
import { isSemVer } from './semver';
import { placeholders } from './template';
import { variableSchema } from './variableSpec';

/** A template larger than this is almost certainly a mistake (a pasted document), not a prompt. */
export const MAX_TEMPLATE_CHARS = 32_768;

const identifier = identifierSchema;

const variableName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a variable name: letters, digits and "_", not starting with a digit');

const paramsSchema = z
  .strictObject({
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().min(0).max(1).optional(),
    max_tokens: z.number().int().positive().optional(),
    stop: z.array(z.string()).optional(),
    seed: z.number().int().optional(),
  })
  .default({});

const costRouteSchema = z
  .strictObject({
    /** Requests whose rendered input is at most this many tokens… */
    max_input_tokens: z.number().int().positive().optional(),
    /** …and/or whose user message matches this case-insensitive pattern (a keyword classifier). */
    pattern: z.string().min(1).optional(),
    model: z.string().min(1),
  })
  .refine(
    (rule) => rule.max_input_tokens !== undefined || rule.pattern !== undefined,
    'a cost route needs max_input_tokens or pattern',
  )
  .refine(
    (rule) => rule.pattern === undefined || isValidPattern(rule.pattern),
    'pattern is not a valid regular expression',
  );

function isValidPattern(pattern: string): boolean {
  try {
    new RegExp(pattern, 'i');
    return true;
  } catch {
    return false;
  }
}

/** How the gateway serves this prompt. Part of the content: changing it changes behaviour. */
const gatewaySchema = z.strictObject({
  /** Exact-match response cache, opt-in. */
  cache: z.strictObject({ ttl_seconds: z.number().int().positive() }).optional(),
  /** Requests over this many input tokens get 413. */
  max_input_tokens: z.number().int().positive().optional(),
  /** Checked in order; the first matching rule picks a cheaper model. */
  cost_routing: z.array(costRouteSchema).default([]),
});
export type PromptGatewaySpec = z.infer<typeof gatewaySchema>;

/** How this prompt's versions are released: the canary's steps and analysis cadence (`promote --steps` overrides). */
const rolloutSchema = z.strictObject({
  steps: z
    .string()
    .optional()
    .superRefine((text, ctx) => {
      if (text === undefined) return;
      try {
        parseSteps(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
  analysis_interval: z
    .string()
    .refine((text) => (parseDuration(text) ?? 0) >= 1000, 'expected a duration of at least 1s, like 30s or 1m')
    .optional(),
});

export const promptSpecSchema = z
  .strictObject({
    name: identifier,
    version: z.string().refine(isSemVer, 'expected a semantic version like 1.2.3'),
    description: z.string().default(''),
    owner: z.string().min(1, 'expected the owning team or person'),
    model: z.string().min(1, 'expected a model id such as gpt-4o-mini-2024-07-18'),
    allow_alias: z.boolean().default(false),
    params: paramsSchema,
    variables: z.record(variableName, variableSchema).default({}),
    template: z
      .strictObject({ system: z.string().optional(), user: z.string().min(1, 'expected the user message template') })
      .refine((t) => (t.system ?? '').length + t.user.length <= MAX_TEMPLATE_CHARS, {
        message: `template is over the limit of ${MAX_TEMPLATE_CHARS} characters; move reference text into a variable`,
      }),
    fallbacks: z.array(z.string().min(1)).default([]),
    output: z.strictObject({ schema: z.record(z.string(), z.unknown()) }).optional(),
    gateway: gatewaySchema.optional(),
    /** Release policy, not behaviour: not part of the content hash. */
    rollout: rolloutSchema.optional(),
    /** Eval gate floors for this prompt (a dataset's own floors take precedence). Not part of the content hash. */
    eval: z.strictObject({ floors: z.record(z.string(), z.number().min(0).max(1)).default({}) }).optional(),
  })
  .superRefine((spec, ctx) => {
    const used = [...placeholders(spec.template.system ?? ''), ...placeholders(spec.template.user)];
    for (const name of new Set(used)) {
      if (!(name in spec.variables)) {
        ctx.addIssue({
          code: 'custom',
          path: ['template'],
          message: `uses {{${name}}} but no variable "${name}" is declared; add it under variables`,
        });
      }
    }
  });

export type PromptSpec = z.infer<typeof promptSpecSchema>;

/** A validated prompt file: the spec plus the text it came from. */
export interface PromptFile {
  path: string;
  spec: PromptSpec;
  source: string;
}

/** A prompt file's size at most: every gateway keeps every routed version in memory. */
export const MAX_PROMPT_FILE_BYTES = 256 * 1024;
/** YAML aliases a file may expand: a few are handy, a "billion laughs" is an attack. */
const MAX_YAML_ALIASES = 100;

/** Parse YAML text; every problem names the file and the field. */
export function parsePromptFile(source: string, origin: string): PromptFile {
  const bytes = Buffer.byteLength(source, 'utf8');
  if (bytes > MAX_PROMPT_FILE_BYTES)
    throw new InputError(
      `${origin} is ${bytes} bytes; a prompt file may be at most ${MAX_PROMPT_FILE_BYTES} bytes. Move long reference text out of the template.`,
    );
  const unstorable = unstorableReason(source);
  if (unstorable) throw new InputError(`${origin} contains ${unstorable}`);
  const doc = parseDocument(source, { prettyErrors: true });
  if (doc.errors.length) {
    const first = doc.errors[0]!;
    throw new InputError(`${origin} is not valid YAML: ${first.message.split('\n')[0]}`);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (error) {
    throw new InputError(
      `${origin} cannot be read: ${(error as Error).message.split('\n')[0]} (at most ${MAX_YAML_ALIASES} alias expansions)`,
    );
  }
  const parsed = promptSpecSchema.safeParse(value);
  if (!parsed.success) throw new InputError(describeZodIssues(origin, parsed.error.issues));
  return { path: origin, spec: parsed.data, source };
}

export function readPromptFile(path: string): PromptFile {
  let source: string;
  try {
    // Refuse a huge file before reading it into memory.
    const { size } = statSync(path);
    if (size > MAX_PROMPT_FILE_BYTES)
      throw new InputError(
        `${path} is ${size} bytes; a prompt file may be at most ${MAX_PROMPT_FILE_BYTES} bytes. Move long reference text out of the template.`,
      );
    source = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(
      `Cannot read prompt file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  return parsePromptFile(source, path);
}
