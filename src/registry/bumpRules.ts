import { canonicalJson } from '../util/canonicalJson';
import type { PromptSpec } from './promptFile';
import type { VariableSpec } from './variableSpec';
import { bumpKind, compareSemVer, formatSemVer, nextVersion, parseSemVer, type BumpKind } from './semver';

const RANK: Record<BumpKind, number> = { patch: 0, minor: 1, major: 2 };

export interface RequiredBump {
  kind: BumpKind;
  reasons: string[];
}

/** The part of a variable that callers depend on: its name, type, whether it is required, and enum values. */
function variableShape(spec: VariableSpec): string {
  return canonicalJson({
    type: spec.type,
    required: spec.required,
    values: spec.type === 'enum' ? spec.values : undefined,
  });
}

/** Which bump the change from `previous` to `next` needs, and why (undefined: nothing that matters changed). */
export function requiredBump(previous: PromptSpec, next: PromptSpec): RequiredBump | undefined {
  const major: string[] = [];
  const minor: string[] = [];
  const patch: string[] = [];
  const names = new Set([...Object.keys(previous.variables), ...Object.keys(next.variables)]);
  for (const name of names) {
    const before = previous.variables[name];
    const after = next.variables[name];
    if (!before) major.push(`variable "${name}" was added`);
    else if (!after) major.push(`variable "${name}" was removed`);
    else if (variableShape(before) !== variableShape(after)) major.push(`variable "${name}" changed shape`);
    else if (canonicalJson(before) !== canonicalJson(after)) minor.push(`variable "${name}" changed bounds or default`);
  }
  if (previous.model !== next.model) minor.push(`model changed from ${previous.model} to ${next.model}`);
  if (canonicalJson(previous.params) !== canonicalJson(next.params)) minor.push('params changed');
  if (canonicalJson(previous.output ?? null) !== canonicalJson(next.output ?? null))
    minor.push('output schema changed');
  if (canonicalJson(previous.gateway ?? null) !== canonicalJson(next.gateway ?? null))
    minor.push('gateway settings changed');
  if (canonicalJson(previous.template) !== canonicalJson(next.template)) patch.push('template wording changed');

  if (major.length) return { kind: 'major', reasons: major };
  if (minor.length) return { kind: 'minor', reasons: minor };
  if (patch.length) return { kind: 'patch', reasons: patch };
  return undefined;
}

/**
 * Why `next` may not follow `previous` as a new version, or undefined when it may:
 * the version must be higher, and high enough for what changed.
 */
export function bumpViolation(previous: PromptSpec, next: PromptSpec): string | undefined {
  const from = parseSemVer(previous.version);
  const to = parseSemVer(next.version);
  if (compareSemVer(to, from) <= 0) {
    return `version ${next.version} is not higher than the latest registered version ${previous.version}; use ${formatSemVer(nextVersion(from, 'patch'))} or higher`;
  }
  const needed = requiredBump(previous, next);
  if (!needed || RANK[bumpKind(from, to)] >= RANK[needed.kind]) return undefined;
  return `${needed.reasons.join('; ')}: that needs a ${needed.kind} bump from ${previous.version}, so use ${formatSemVer(nextVersion(from, needed.kind))} or higher (got ${next.version})`;
}
