import { createTwoFilesPatch } from 'diff';
import { canonicalJson } from '../util/canonicalJson';
import type { PromptVersion } from './registry';

export interface PromptDiff {
  name: string;
  from: string;
  to: string;
  /** Unified diff of the template (system and user parts); empty when the wording is the same. */
  templateDiff: string;
  /** Top-level fields other than the template whose values differ. */
  changedFields: Array<{ field: string; from: unknown; to: unknown }>;
}

const COMPARED_FIELDS = [
  'model',
  'params',
  'variables',
  'output',
  'fallbacks',
  'allow_alias',
  'eval',
  'description',
  'owner',
] as const;

function templateText(version: PromptVersion): string {
  const { system, user } = version.spec.template;
  return `${system === undefined ? '' : `[system]\n${system}\n`}[user]\n${user}\n`;
}

export function diffVersions(a: PromptVersion, b: PromptVersion): PromptDiff {
  const before = templateText(a);
  const after = templateText(b);
  const templateDiff =
    before === after
      ? ''
      : createTwoFilesPatch(`${a.name}@${a.version}`, `${b.name}@${b.version}`, before, after, '', '', { context: 3 });
  const changedFields = COMPARED_FIELDS.filter(
    (field) => canonicalJson(a.spec[field] ?? null) !== canonicalJson(b.spec[field] ?? null),
  ).map((field) => ({
    field,
    from: a.spec[field] ?? null,
    to: b.spec[field] ?? null,
  }));
  return { name: a.name, from: a.version, to: b.version, templateDiff, changedFields };
}
