import { similarity } from './editDistance';
import type { Assertion, CheckType } from './assertionSpec';
import { validateJsonSchema } from '../guardrails/jsonSchema';
import { isRefusal } from '../guardrails/refusal';

export interface Observed {
  output: string;
  latencyMs: number;
  costUsd: number;
}

export interface Verdict {
  pass: boolean;
  score: number;
  reason: string;
}

const DEFAULT_SIMILARITY_THRESHOLD = 0.8;

const verdict = (pass: boolean, reason: string): Verdict => ({ pass, score: pass ? 1 : 0, reason });

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

/** The deterministic assertions, before negation. */
function check(type: CheckType, value: unknown, threshold: number | undefined, observed: Observed): Verdict {
  const output = observed.output;
  const lower = output.toLowerCase();
  const list = value as string[];
  switch (type) {
    case 'equals':
      return verdict(output.trim() === String(value).trim(), 'output equals the expected text');
    case 'contains':
      return verdict(output.includes(String(value)), `output contains "${value}"`);
    case 'icontains':
      return verdict(lower.includes(String(value).toLowerCase()), `output contains "${value}" (any case)`);
    case 'contains-any':
      return verdict(list.some((v) => output.includes(v)), `output contains one of ${JSON.stringify(list)}`);
    case 'contains-all':
      return verdict(list.every((v) => output.includes(v)), `output contains all of ${JSON.stringify(list)}`);
    case 'icontains-any':
      return verdict(list.some((v) => lower.includes(v.toLowerCase())), `output contains one of ${JSON.stringify(list)} (any case)`);
    case 'icontains-all':
      return verdict(list.every((v) => lower.includes(v.toLowerCase())), `output contains all of ${JSON.stringify(list)} (any case)`);
    case 'starts-with':
      return verdict(output.startsWith(String(value)), `output starts with "${value}"`);
    case 'regex':
      return verdict(new RegExp(String(value)).test(output), `output matches /${value}/`);
    case 'is-json':
    case 'json-schema': {
      const parsed = parseJson(output);
      if (!parsed.ok) return verdict(false, `output is not JSON (${parsed.error})`);
      if (!value) return verdict(true, 'output is JSON');
      const { valid, errors } = validateJsonSchema(value as object, parsed.value);
      return verdict(valid, valid ? 'output matches the JSON schema' : `output breaks the JSON schema: ${errors.join('; ')}`);
    }
    case 'length': {
      const { min, max } = value as { min?: number; max?: number };
      const ok = (min === undefined || output.length >= min) && (max === undefined || output.length <= max);
      return verdict(ok, `output length ${output.length} within [${min ?? 0}, ${max ?? '∞'}]`);
    }
    case 'is-refusal':
      return verdict(isRefusal(output), 'output is a refusal');
    case 'latency':
      return verdict(observed.latencyMs <= Number(value), `latency ${observed.latencyMs} ms <= ${value} ms`);
    case 'cost':
      return verdict(observed.costUsd <= Number(value), `cost $${observed.costUsd.toFixed(6)} <= $${value}`);
    case 'similarity': {
      const score = similarity(output.trim(), String(value).trim());
      const needed = threshold ?? DEFAULT_SIMILARITY_THRESHOLD;
      return { pass: score >= needed, score, reason: `edit-distance similarity ${score.toFixed(2)} >= ${needed}` };
    }
  }
}

/** Run a deterministic assertion, applying `not-`. */
export function runCheck(assertion: Assertion & { type: CheckType }, observed: Observed): Verdict {
  const result = check(assertion.type, assertion.value, assertion.threshold, observed);
  if (!assertion.negated) return result;
  return { pass: !result.pass, score: 1 - result.score, reason: `not: ${result.reason}` };
}
