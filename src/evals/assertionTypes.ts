import { schemaProblem, validateJsonSchema } from '../guardrails/jsonSchema';
import { isRefusal } from '../guardrails/refusal';
import { similarity } from './editDistance';
import { compileSnippet, runSnippet } from './sandbox';

/** What a deterministic check sees of one answer. */
export interface Observed {
  /** The answer as text (a transform's result, made text when it is not). */
  output: string;
  /** The answer as a `javascript` assertion sees it: a transform's result as it is. */
  value?: unknown;
  /** The case's variables (`context.vars` for code). */
  vars?: Record<string, unknown>;
  latencyMs: number;
  costUsd: number;
}

/** One assertion's result on one answer. */
export interface CheckResult {
  pass: boolean;
  score: number;
  reason: string;
}

/** Model-graded assertions pass at this score unless they set their own threshold. */
export const DEFAULT_GRADED_THRESHOLD = 0.7;
const DEFAULT_SIMILARITY_THRESHOLD = 0.8;
/** Where a yes/no grader's score turns from no to yes. */
const YES_NO_THRESHOLD = 0.5;

type ValueCheck = (value: unknown) => string | undefined;

interface CheckedType {
  kind: 'check';
  /** What is wrong with the assertion's value, or undefined. */
  valueProblem: ValueCheck;
  /** Without a value, the case's `expected` text is the value. */
  usesExpected?: boolean;
  run(value: unknown, threshold: number | undefined, observed: Observed): CheckResult;
}

interface GradedType {
  kind: 'graded';
  valueProblem: ValueCheck;
  usesExpected?: boolean;
  /** promptfoo's yes/no graders: the judge's score is read as yes (at the threshold, 0.5 by default) or no, scored 1 or 0. */
  yesNo?: boolean;
}

const result = (pass: boolean, reason: string): CheckResult => ({ pass, score: pass ? 1 : 0, reason });
const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string');

const aString: ValueCheck = (value) => (typeof value === 'string' ? undefined : 'expected a string value');
const aStringList: ValueCheck = (value) => (isStringList(value) ? undefined : 'expected a non-empty list of strings');
const nothingOrText: ValueCheck = (value) =>
  value === undefined || typeof value === 'string' ? undefined : 'expected no value, or the text to judge against';
const aRegex: ValueCheck = (value) => {
  if (typeof value !== 'string') return 'expected a regular expression string';
  try {
    new RegExp(value);
    return undefined;
  } catch (error) {
    return `invalid regular expression: ${(error as Error).message}`;
  }
};
const aMaximum =
  (unit: string): ValueCheck =>
  (value) =>
    typeof value === 'number' && value >= 0 ? undefined : `expected the maximum ${unit} as a number`;
const aSchema =
  (required: boolean): ValueCheck =>
  (value) => {
    if (value === undefined && !required) return undefined;
    if (!value || typeof value !== 'object' || Array.isArray(value))
      return required ? 'expected a JSON schema object' : 'expected no value or a JSON schema object';
    return schemaProblem(value);
  };
const aSnippet: ValueCheck = (value) => {
  if (typeof value !== 'string' || !value.trim())
    return 'expected JavaScript: an expression, or a function body that returns';
  try {
    compileSnippet(value);
    return undefined;
  } catch (error) {
    return `not valid JavaScript (${(error as Error).message})`;
  }
};

/** promptfoo's reading of what code returns: a boolean, a score, or {pass, score, reason}. */
function codeResult(returned: unknown, threshold: number | undefined): CheckResult {
  if (typeof returned === 'boolean') return result(returned, `javascript returned ${returned}`);
  if (typeof returned === 'number' && Number.isFinite(returned)) {
    const pass = threshold === undefined ? returned > 0 : returned >= threshold;
    return {
      pass,
      score: returned,
      reason: `javascript scored ${returned}${threshold === undefined ? '' : ` (threshold ${threshold})`}`,
    };
  }
  if (returned && typeof returned === 'object' && 'pass' in returned) {
    const graded = returned as { pass: unknown; score?: unknown; reason?: unknown };
    const pass = Boolean(graded.pass);
    return {
      pass,
      score: typeof graded.score === 'number' ? graded.score : pass ? 1 : 0,
      reason: typeof graded.reason === 'string' ? graded.reason : `javascript returned pass: ${pass}`,
    };
  }
  return result(
    false,
    `javascript returned ${JSON.stringify(returned) ?? 'nothing'}; return a boolean, a number or {pass, score, reason}`,
  );
}

function javascriptCheck(code: unknown, threshold: number | undefined, observed: Observed): CheckResult {
  try {
    const returned = runSnippet(compileSnippet(String(code)), {
      output: observed.value ?? observed.output,
      context: { vars: observed.vars ?? {} },
    });
    return codeResult(returned, threshold);
  } catch (error) {
    return result(false, `javascript failed: ${(error as Error).message}`);
  }
}

const lengthBounds: ValueCheck = (value) => {
  const bounds = value as { min?: unknown; max?: unknown } | undefined;
  const ok = bounds && typeof bounds === 'object' && (typeof bounds.min === 'number' || typeof bounds.max === 'number');
  return ok ? undefined : 'expected {min, max} (either or both, in characters)';
};

/** The `contains-any/all` family: one of (or all of) a list of strings, in this case or any. */
function listCheck(mode: 'any' | 'all', anyCase: boolean): CheckedType {
  const fold = (text: string) => (anyCase ? text.toLowerCase() : text);
  return {
    kind: 'check',
    valueProblem: aStringList,
    run: (value, _threshold, { output }) => {
      const list = value as string[];
      const found = (wanted: string) => fold(output).includes(fold(wanted));
      const pass = mode === 'any' ? list.some(found) : list.every(found);
      return result(
        pass,
        `output contains ${mode === 'any' ? 'one' : 'all'} of ${JSON.stringify(list)}${anyCase ? ' (any case)' : ''}`,
      );
    },
  };
}

function jsonCheck(value: unknown, _threshold: number | undefined, { output }: Observed): CheckResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(output);
  } catch (error) {
    return result(false, `output is not JSON (${(error as Error).message})`);
  }
  if (!value) return result(true, 'output is JSON');
  const { valid, errors } = validateJsonSchema(value as object, parsed);
  return result(
    valid,
    valid ? 'output matches the JSON schema' : `output breaks the JSON schema: ${errors.join('; ')}`,
  );
}

/**
 * Every assertion type, its value's validation beside its evaluation (promptfoo's handler map):
 * adding a type is one entry here. Graded types are scored by the judge (src/evals/judge.ts).
 */
export const ASSERTION_TYPES = {
  equals: {
    kind: 'check',
    valueProblem: aString,
    usesExpected: true,
    run: (value, _t, { output }) => result(output.trim() === String(value).trim(), 'output equals the expected text'),
  },
  contains: {
    kind: 'check',
    valueProblem: aString,
    usesExpected: true,
    run: (value, _t, { output }) => result(output.includes(String(value)), `output contains "${value}"`),
  },
  icontains: {
    kind: 'check',
    valueProblem: aString,
    usesExpected: true,
    run: (value, _t, { output }) =>
      result(output.toLowerCase().includes(String(value).toLowerCase()), `output contains "${value}" (any case)`),
  },
  'contains-any': listCheck('any', false),
  'contains-all': listCheck('all', false),
  'icontains-any': listCheck('any', true),
  'icontains-all': listCheck('all', true),
  'starts-with': {
    kind: 'check',
    valueProblem: aString,
    usesExpected: true,
    run: (value, _t, { output }) => result(output.startsWith(String(value)), `output starts with "${value}"`),
  },
  regex: {
    kind: 'check',
    valueProblem: aRegex,
    run: (value, _t, { output }) => result(new RegExp(String(value)).test(output), `output matches /${value}/`),
  },
  'is-json': { kind: 'check', valueProblem: aSchema(false), run: jsonCheck },
  'json-schema': { kind: 'check', valueProblem: aSchema(true), run: jsonCheck },
  length: {
    kind: 'check',
    valueProblem: lengthBounds,
    run: (value, _t, { output }) => {
      const { min, max } = value as { min?: number; max?: number };
      const ok = (min === undefined || output.length >= min) && (max === undefined || output.length <= max);
      return result(ok, `output length ${output.length} within [${min ?? 0}, ${max ?? '∞'}]`);
    },
  },
  'is-refusal': {
    kind: 'check',
    valueProblem: () => undefined,
    run: (_v, _t, { output }) => result(isRefusal(output), 'output is a refusal'),
  },
  latency: {
    kind: 'check',
    valueProblem: aMaximum('milliseconds'),
    run: (value, _t, { latencyMs }) => result(latencyMs <= Number(value), `latency ${latencyMs} ms <= ${value} ms`),
  },
  cost: {
    kind: 'check',
    valueProblem: aMaximum('USD'),
    run: (value, _t, { costUsd }) => result(costUsd <= Number(value), `cost $${costUsd.toFixed(6)} <= $${value}`),
  },
  similarity: {
    kind: 'check',
    valueProblem: aString,
    usesExpected: true,
    run: (value, threshold, { output }) => {
      const score = similarity(output.trim(), String(value).trim());
      const needed = threshold ?? DEFAULT_SIMILARITY_THRESHOLD;
      return { pass: score >= needed, score, reason: `edit-distance similarity ${score.toFixed(2)} >= ${needed}` };
    },
  },
  javascript: { kind: 'check', valueProblem: aSnippet, run: javascriptCheck },
  rubric: { kind: 'graded', valueProblem: aString },
  faithfulness: { kind: 'graded', valueProblem: nothingOrText },
  'answer-relevance': { kind: 'graded', valueProblem: nothingOrText },
  /** promptfoo's model-graded-closedqa: does the output meet the criterion, yes or no. */
  closedqa: { kind: 'graded', valueProblem: aString, yesNo: true },
  /** promptfoo's factuality: is the output consistent with the reference answer (the value, else `expected`). */
  factuality: { kind: 'graded', valueProblem: aString, usesExpected: true, yesNo: true },
} satisfies Record<string, CheckedType | GradedType>;

export type AssertionTypeEntry = CheckedType | GradedType;
type Table = typeof ASSERTION_TYPES;
export type AssertionType = keyof Table;
export type CheckType = { [K in AssertionType]: Table[K]['kind'] extends 'check' ? K : never }[AssertionType];
export type GradedAssertionType = Exclude<AssertionType, CheckType>;

const entries = Object.entries(ASSERTION_TYPES) as Array<[AssertionType, AssertionTypeEntry]>;
export const GRADED_TYPES = entries.filter(([, entry]) => entry.kind === 'graded').map(([type]) => type) as [
  GradedAssertionType,
  ...GradedAssertionType[],
];

export const isAssertionType = (type: string): type is AssertionType => Object.hasOwn(ASSERTION_TYPES, type);
export const isGradedType = (type: AssertionType): type is GradedAssertionType =>
  ASSERTION_TYPES[type].kind === 'graded';

/** A judged assertion's result from the judge's mean score: scored, or (yes/no graders) 1 or 0. */
export function judgedResult(
  raw: number,
  options: { type: GradedAssertionType; threshold?: number; negated: boolean },
): { pass: boolean; score: number; threshold: number } {
  const entry: GradedType = ASSERTION_TYPES[options.type];
  const threshold = options.threshold ?? (entry.yesNo ? YES_NO_THRESHOLD : DEFAULT_GRADED_THRESHOLD);
  const yes = raw >= threshold;
  const pass = options.negated ? !yes : yes;
  const score = entry.yesNo ? (pass ? 1 : 0) : options.negated ? 1 - raw : raw;
  return { pass, score, threshold };
}

/** Run a deterministic assertion, applying `not-`. */
export function runCheck(
  assertion: { type: CheckType; negated: boolean; value?: unknown; threshold?: number },
  observed: Observed,
): CheckResult {
  const entry: CheckedType = ASSERTION_TYPES[assertion.type];
  const checked = entry.run(assertion.value, assertion.threshold, observed);
  if (!assertion.negated) return checked;
  return { pass: !checked.pass, score: 1 - checked.score, reason: `not: ${checked.reason}` };
}
