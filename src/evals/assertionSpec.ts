import { z } from 'zod';
import { isAssertionType, type AssertionType } from './assertionTypes';

/** promptfoo names we accept for the same thing. */
export const ALIASES: Record<string, AssertionType> = {
  'llm-rubric': 'rubric',
  'model-graded-closedqa': 'closedqa',
  'context-faithfulness': 'faithfulness',
};

export interface ResolvedType {
  type: AssertionType;
  negated: boolean;
}

/** `not-icontains` → {icontains, negated}; aliases resolved; undefined for an unknown type. */
export function resolveAssertionType(raw: string): ResolvedType | undefined {
  const negated = raw.startsWith('not-');
  const base = negated ? raw.slice(4) : raw;
  const type = ALIASES[base] ?? base;
  return isAssertionType(type) ? { type, negated } : undefined;
}

/** A key we do not read would change nothing here but the result in promptfoo: refuse it rather than ignore it. */
export const unsupportedKeys = (what: string) => ({
  error: (issue: { code?: string; keys?: string[] }) =>
    issue.code === 'unrecognized_keys'
      ? `${what} has ${issue.keys!.map((key) => `"${key}"`).join(', ')}, which Flightdeck does not read (it would change promptfoo's result); remove it`
      : undefined,
});

export const rawAssertionSchema = z.strictObject(
  {
    type: z.string().min(1),
    value: z.unknown().optional(),
    threshold: z.number().min(0).optional(),
    weight: z.number().positive().default(1),
    /** promptfoo's assertion-level transform: JavaScript turning the output into what this assertion checks. */
    transform: z.string().min(1).optional(),
    /** Name under which the score is reported and gated (default: the type). */
    metric: z
      .string()
      .regex(/^[a-z][a-z0-9_-]*$/, 'expected a lowercase metric name')
      .optional(),
  },
  unsupportedKeys('this assertion'),
);
export type RawAssertion = z.infer<typeof rawAssertionSchema>;

export interface Assertion extends ResolvedType {
  value?: unknown;
  threshold?: number;
  transform?: string;
  weight: number;
  metric: string;
}
