import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InputError, describeZodIssues } from '../errors';
import { canonicalJson } from '../util/canonicalJson';
import {
  ALIASES,
  rawAssertionSchema,
  resolveAssertionType,
  unsupportedKeys,
  type Assertion,
  type RawAssertion,
} from './assertionSpec';
import { ASSERTION_TYPES, type AssertionTypeEntry } from './assertionTypes';
import { compileSnippet } from './sandbox';

export interface EvalCase {
  id: string;
  vars: Record<string, unknown>;
  expected?: string;
  assertions: Assertion[];
  tags: string[];
  /** Pass on weighted score >= threshold; without one, every assertion must pass. */
  threshold?: number;
  /** promptfoo's `options.transform`: JavaScript turning the output into what every assertion checks. */
  transform?: string;
}

export interface Dataset {
  name: string;
  /** The prompt this dataset tests, when it says; scheduled evals use it. */
  prompt?: string;
  /** sha256 of the canonical cases and gate settings: the dataset's identity. */
  hash: string;
  /** Minimum mean per metric (pass_rate, score, or an assertion metric). */
  floors: Record<string, number>;
  /** Largest drop against the baseline allowed on gated metrics. */
  maxRegression: number;
  /** Largest drop against the last passing run before a scheduled eval raises an alert. */
  tolerance: number;
  cases: EvalCase[];
}

const caseSchema = z.strictObject(
  {
    id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'expected letters, digits, "-", "_", "." or ":"')
      .optional(),
    description: z.string().optional(),
    vars: z.record(z.string(), z.unknown()).default({}),
    expected: z.string().optional(),
    assert: z.array(rawAssertionSchema).default([]),
    tags: z.array(z.string()).default([]),
    threshold: z.number().min(0).max(1).optional(),
    options: z.strictObject({ transform: z.string().min(1).optional() }, unsupportedKeys('options')).optional(),
    /** promptfoo's free-form notes on a test: kept out of the result, so harmless. */
    metadata: z.record(z.string(), z.unknown()).optional(),
  },
  unsupportedKeys('this case'),
);
type RawCase = z.infer<typeof caseSchema>;

const settingsSchema = {
  name: z.string().optional(),
  prompt: z.string().optional(),
  floors: z.record(z.string(), z.number().min(0).max(1)).default({}),
  max_regression: z.number().min(0).max(1).default(0.05),
  tolerance: z.number().min(0).max(1).default(0.05),
};

const nativeSchema = z.strictObject(
  {
    ...settingsSchema,
    defaults: z
      .strictObject({ assert: z.array(rawAssertionSchema).default([]) }, unsupportedKeys('defaults'))
      .default({ assert: [] }),
    cases: z.array(z.unknown()).min(1, 'a dataset needs at least one case'),
  },
  unsupportedKeys('this dataset'),
);
// promptfoo's test files: `tests` plus `defaultTest`; their other keys (prompts, providers) are not ours to read.
const promptfooSchema = z
  .object({
    ...settingsSchema,
    defaultTest: z
      .strictObject(
        {
          assert: z.array(rawAssertionSchema).default([]),
          vars: z.record(z.string(), z.unknown()).default({}),
          options: z
            .strictObject({ transform: z.string().min(1).optional() }, unsupportedKeys('defaultTest.options'))
            .optional(),
          metadata: z.record(z.string(), z.unknown()).optional(),
        },
        unsupportedKeys('defaultTest'),
      )
      .default({ assert: [], vars: {} }),
    tests: z.array(z.unknown()).min(1, 'a dataset needs at least one test'),
  })
  .loose();

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);
}

/** Every type with its promptfoo aliases, for the message that names them. */
const KNOWN_TYPES = Object.keys(ASSERTION_TYPES)
  .map((type) => {
    const aliases = Object.keys(ALIASES).filter((alias) => ALIASES[alias] === type);
    return aliases.length ? `${type} (${aliases.join(', ')})` : type;
  })
  .join(', ');

function toAssertion(raw: RawAssertion, expected: string | undefined, where: string): Assertion {
  const resolved = resolveAssertionType(raw.type);
  if (!resolved)
    throw new InputError(
      `${where}.type: unknown assertion type "${raw.type}"; use one of ${KNOWN_TYPES}, each optionally prefixed with not-`,
    );
  const entry: AssertionTypeEntry = ASSERTION_TYPES[resolved.type];
  // Text assertions without a value compare against the case's `expected`.
  const value = raw.value ?? (entry.usesExpected ? expected : undefined);
  const problem = entry.valueProblem(value);
  if (problem) throw new InputError(`${where}.value: ${problem}`);
  return {
    ...resolved,
    value,
    threshold: raw.threshold,
    transform: checkedSnippet(raw.transform, `${where}.transform`),
    weight: raw.weight,
    metric: raw.metric ?? `${resolved.negated ? 'not-' : ''}${resolved.type}`,
  };
}

/** A transform must compile when the dataset loads, not fail in the middle of a run. */
function checkedSnippet(code: string | undefined, where: string): string | undefined {
  if (code === undefined) return undefined;
  try {
    compileSnippet(code);
  } catch (error) {
    throw new InputError(`${where}: not valid JavaScript (${(error as Error).message})`);
  }
  return code;
}

interface CaseDefaults {
  assert: RawAssertion[];
  transform?: string;
  /** promptfoo's defaultTest.vars: every case gets them, its own win. */
  vars?: Record<string, unknown>;
  /** promptfoo files may hold tests without assertions (outputs for review). */
  assertionsOptional?: boolean;
}

/** The largest file a `file://` variable may name. */
const MAX_FILE_VAR_BYTES = 1024 * 1024;

/**
 * promptfoo's `file://` variables: the file's text (JSON and YAML files parsed), relative to the
 * dataset's folder; read when the dataset loads, so its hash covers what the cases will see.
 */
function resolveFileVars(vars: Record<string, unknown>, origin: string, where: string): Record<string, unknown> {
  const resolved: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(vars)) {
    if (typeof value !== 'string' || !value.startsWith('file://')) {
      resolved[name] = value;
      continue;
    }
    const file = path.resolve(path.dirname(origin), value.slice('file://'.length));
    if (/\.(js|cjs|mjs|ts|py)$/.test(file)) {
      throw new InputError(`${where} vars.${name}: ${value} is code; only text, JSON and YAML files can be variables`);
    }
    let bytes: Buffer;
    try {
      if (statSync(file).size > MAX_FILE_VAR_BYTES) {
        throw new InputError(
          `${where} vars.${name}: ${file} is over ${MAX_FILE_VAR_BYTES / 1024} KiB; a variable is a text, not a corpus`,
        );
      }
      bytes = readFileSync(file);
    } catch (error) {
      if (error instanceof InputError) throw error;
      throw new InputError(
        `${where} vars.${name}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
    // A NUL byte means a binary file (and Postgres could not store the text either).
    if (bytes.includes(0))
      throw new InputError(`${where} vars.${name}: ${file} is not a text file (it holds NUL bytes)`);
    const text = bytes.toString('utf8');
    resolved[name] = file.endsWith('.json') ? JSON.parse(text) : /\.ya?ml$/.test(file) ? parseYaml(text) : text;
  }
  return resolved;
}

function toCase(raw: unknown, index: number, defaults: CaseDefaults, origin: string, listName: string): EvalCase {
  const parsed = caseSchema.safeParse(raw);
  const label = (c?: Partial<RawCase>) =>
    `${origin}: case "${c?.id ?? (c?.description ? slug(c.description) : `#${index + 1}`)}" (${listName}[${index}])`;
  if (!parsed.success) throw new InputError(describeZodIssues(label(raw as Partial<RawCase>), parsed.error.issues));
  const c = parsed.data;
  const id = c.id ?? (c.description ? slug(c.description) : `case-${index + 1}`);
  const assertions = [...defaults.assert, ...c.assert].map((a, i) =>
    toAssertion(a, c.expected, `${label(c)} assert[${i}]`),
  );
  // promptfoo runs a test without assertions for people to review; our own format asks for them.
  if (!assertions.length && !defaults.assertionsOptional)
    throw new InputError(`${label(c)}: no assertions; add an assert list (or defaults.assert for every case)`);
  const transform = checkedSnippet(c.options?.transform ?? defaults.transform, `${label(c)} options.transform`);
  const vars = resolveFileVars({ ...defaults.vars, ...c.vars }, origin, label(c));
  return { id, vars, expected: c.expected, assertions, tags: c.tags, threshold: c.threshold, transform };
}

function build(
  origin: string,
  settings: z.infer<z.ZodObject<typeof settingsSchema>>,
  cases: EvalCase[],
  fallbackName: string,
): Dataset {
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.id)) throw new InputError(`${origin}: case id "${c.id}" appears more than once; ids must be unique`);
    seen.add(c.id);
  }
  const gate = { floors: settings.floors, max_regression: settings.max_regression, tolerance: settings.tolerance };
  const hash = createHash('sha256').update(canonicalJson({ cases, gate })).digest('hex');
  return {
    name: settings.name ?? fallbackName,
    prompt: settings.prompt,
    hash,
    floors: settings.floors,
    maxRegression: settings.max_regression,
    tolerance: settings.tolerance,
    cases,
  };
}

/** Parse a dataset: JSONL (one case per line), our YAML (`cases:`), or a promptfoo test file (`tests:`). */
export function parseDataset(text: string, origin: string): Dataset {
  const fallbackName = origin
    .split('/')
    .pop()!
    .replace(/\.(jsonl|ya?ml|json)$/, '');
  if (origin.endsWith('.jsonl')) {
    const lines = text
      .split('\n')
      .map((line, i) => ({ line: line.trim(), i }))
      .filter(({ line }) => line);
    const cases = lines.map(({ line, i }, index) => {
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch (error) {
        throw new InputError(`${origin}:${i + 1}: not valid JSON (${(error as Error).message})`);
      }
      return toCase(raw, index, { assert: [] }, origin, 'line');
    });
    if (!cases.length) throw new InputError(`${origin}: no cases; a JSONL dataset has one JSON case per line`);
    return build(origin, z.object(settingsSchema).parse({}), cases, fallbackName);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new InputError(`${origin} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (doc && typeof doc === 'object' && 'tests' in doc) {
    const parsed = promptfooSchema.safeParse(doc);
    if (!parsed.success) throw new InputError(describeZodIssues(origin, parsed.error.issues));
    const { assert, options, vars } = parsed.data.defaultTest;
    const cases = parsed.data.tests.map((raw, i) =>
      toCase(raw, i, { assert, vars, transform: options?.transform, assertionsOptional: true }, origin, 'tests'),
    );
    return build(origin, parsed.data, cases, fallbackName);
  }
  const parsed = nativeSchema.safeParse(doc);
  if (!parsed.success) throw new InputError(describeZodIssues(origin, parsed.error.issues));
  const cases = parsed.data.cases.map((raw, i) => toCase(raw, i, parsed.data.defaults, origin, 'cases'));
  return build(origin, parsed.data, cases, fallbackName);
}

export function loadDataset(path: string): Dataset {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new InputError(
      `Cannot read dataset ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  return parseDataset(text, path);
}
