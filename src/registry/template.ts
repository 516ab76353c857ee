import { InputError } from '../errors';
import type { VariableSpec } from './variableSpec';

/** A `{{name}}` placeholder (global: use with matchAll or replace). */
export const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Variable names a template refers to, in order of appearance. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((match) => match[1]!);
}

export type VariableValue = string | number | boolean;

function checkValue(name: string, spec: VariableSpec, value: unknown): string | undefined {
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string') return `"${name}" must be a string, got ${describe(value)}`;
      if (spec.min_length !== undefined && value.length < spec.min_length)
        return `"${name}" must be at least ${spec.min_length} characters`;
      if (spec.max_length !== undefined && value.length > spec.max_length)
        return `"${name}" must be at most ${spec.max_length} characters`;
      return undefined;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value))
        return `"${name}" must be a number, got ${describe(value)}`;
      if (spec.integer && !Number.isInteger(value)) return `"${name}" must be an integer`;
      if (spec.min !== undefined && value < spec.min) return `"${name}" must be >= ${spec.min}`;
      if (spec.max !== undefined && value > spec.max) return `"${name}" must be <= ${spec.max}`;
      return undefined;
    case 'boolean':
      return typeof value === 'boolean' ? undefined : `"${name}" must be true or false, got ${describe(value)}`;
    case 'enum':
      return typeof value === 'string' && spec.values.includes(value)
        ? undefined
        : `"${name}" must be one of ${spec.values.join(', ')}, got ${describe(value)}`;
  }
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * Check supplied values against the declared variables: every missing, extra or wrong-typed
 * variable is reported at once, by name. Returns the values with defaults filled in.
 */
export function bindVariables(
  declared: Record<string, VariableSpec>,
  supplied: Record<string, unknown>,
): Record<string, VariableValue> {
  const problems: string[] = [];
  const bound: Record<string, VariableValue> = {};
  for (const name of Object.keys(supplied)) {
    if (!(name in declared))
      problems.push(`"${name}" is not a declared variable (declared: ${Object.keys(declared).join(', ') || 'none'})`);
  }
  for (const [name, spec] of Object.entries(declared)) {
    const value = supplied[name] ?? spec.default;
    if (value === undefined) {
      if (spec.required) problems.push(`"${name}" is required (${spec.type})`);
      continue;
    }
    const problem = checkValue(name, spec, value);
    if (problem) problems.push(problem);
    else bound[name] = value as VariableValue;
  }
  if (problems.length) throw new InputError(`Cannot render: ${problems.join('; ')}`);
  return bound;
}

/** Replace {{name}} placeholders; an optional variable left unset renders as empty text. */
export function fillTemplate(template: string, values: Record<string, VariableValue>): string {
  return template.replace(PLACEHOLDER, (_, name: string) => (name in values ? String(values[name]) : ''));
}
