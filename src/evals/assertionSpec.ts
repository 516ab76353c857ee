import { z } from 'zod';

/** Assertions judged by a model through the judge (src/evals/judge.ts). */
export const GRADED_TYPES = ['rubric', 'faithfulness', 'answer-relevance'] as const;
export type GradedType = (typeof GRADED_TYPES)[number];

export const CHECK_TYPES = [
  'equals',
  'contains',
  'icontains',
  'contains-any',
  'contains-all',
  'icontains-any',
  'icontains-all',
  'starts-with',
  'regex',
  'is-json',
  'json-schema',
  'length',
  'is-refusal',
  'latency',
  'cost',
  'similarity',
] as const;
export type CheckType = (typeof CHECK_TYPES)[number];
export type AssertionType = CheckType | GradedType;

/** promptfoo names we accept for the same thing. */
const ALIASES: Record<string, AssertionType> = {
  'llm-rubric': 'rubric',
  'model-graded-closedqa': 'rubric',
  'context-faithfulness': 'faithfulness',
};

const KNOWN = new Set<string>([...CHECK_TYPES, ...GRADED_TYPES]);

export interface ResolvedType {
  type: AssertionType;
  negated: boolean;
}

/** `not-icontains` → {icontains, negated}; aliases resolved; undefined for an unknown type. */
export function resolveAssertionType(raw: string): ResolvedType | undefined {
  const negated = raw.startsWith('not-');
  const base = negated ? raw.slice(4) : raw;
  const type = ALIASES[base] ?? base;
  return KNOWN.has(type) ? { type: type as AssertionType, negated } : undefined;
}

export const rawAssertionSchema = z.object({
  type: z.string().min(1),
  value: z.unknown().optional(),
  threshold: z.number().min(0).optional(),
  weight: z.number().positive().default(1),
  /** Name under which the score is reported and gated (default: the type). */
  metric: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'expected a lowercase metric name').optional(),
});
export type RawAssertion = z.infer<typeof rawAssertionSchema>;

export interface Assertion extends ResolvedType {
  value?: unknown;
  threshold?: number;
  weight: number;
  metric: string;
}

/** The value each type needs; returns a problem description or undefined. */
export function valueProblem(type: AssertionType, value: unknown): string | undefined {
  const isString = typeof value === 'string';
  const isStringList = Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string');
  switch (type) {
    case 'equals':
    case 'contains':
    case 'icontains':
    case 'starts-with':
    case 'similarity':
    case 'rubric':
      return isString ? undefined : 'expected a string value';
    case 'regex':
      if (!isString) return 'expected a regular expression string';
      try {
        new RegExp(value);
        return undefined;
      } catch (error) {
        return `invalid regular expression: ${(error as Error).message}`;
      }
    case 'contains-any':
    case 'contains-all':
    case 'icontains-any':
    case 'icontains-all':
      return isStringList ? undefined : 'expected a non-empty list of strings';
    case 'json-schema':
      return value && typeof value === 'object' && !Array.isArray(value) ? undefined : 'expected a JSON schema object';
    case 'is-json':
      return value === undefined || (value && typeof value === 'object') ? undefined : 'expected no value or a JSON schema object';
    case 'length': {
      const bounds = value as { min?: unknown; max?: unknown } | undefined;
      const ok = bounds && typeof bounds === 'object' && (typeof bounds.min === 'number' || typeof bounds.max === 'number');
      return ok ? undefined : 'expected {min, max} (either or both, in characters)';
    }
    case 'latency':
    case 'cost':
      return typeof value === 'number' && value >= 0 ? undefined : `expected the maximum ${type === 'latency' ? 'milliseconds' : 'USD'} as a number`;
    case 'is-refusal':
      return undefined;
    case 'faithfulness':
    case 'answer-relevance':
      return value === undefined || isString ? undefined : 'expected no value, or the text to judge against';
  }
}
