import Ajv, { type ValidateFunction } from 'ajv';
import { canonicalJson } from '../util/canonicalJson';

const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new Map<string, ValidateFunction>();

/** Validate a value against a JSON schema; schemas are compiled once and reused. */
export function validateJsonSchema(schema: object, value: unknown): { valid: boolean; errors: string[] } {
  const key = canonicalJson(schema);
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(key, validate);
  }
  const valid = validate(value) as boolean;
  return {
    valid,
    errors: (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}`),
  };
}

/** A schema that ajv can compile, or the reason it cannot. */
export function schemaProblem(schema: object): string | undefined {
  try {
    ajv.compile(schema);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
