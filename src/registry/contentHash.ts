import { createHash } from 'node:crypto';
import type { PromptSpec } from './promptFile';
import { canonicalJson } from '../util/canonicalJson';

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
