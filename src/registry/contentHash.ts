import { createHash } from 'node:crypto';
import type { PromptSpec } from './promptFile';

/** JSON with object keys sorted at every level, so equal content always serialises the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * sha256 over what changes behaviour: template, model, params, variables, output schema and gateway settings.
 * Description and owner are metadata and do not count.
 */
export function contentHash(spec: PromptSpec): string {
  const content = {
    template: spec.template,
    model: spec.model,
    params: spec.params,
    variables: spec.variables,
    output: spec.output ?? null,
    // Only when present, so versions written before the gateway section keep their hash.
    ...(spec.gateway ? { gateway: spec.gateway } : {}),
  };
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}
