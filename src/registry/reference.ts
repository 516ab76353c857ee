import { InputError } from '../errors';
import { isSemVer } from './semver';

export interface PromptReference {
  name: string;
  /** A version (1.2.0) or a label (production); production when omitted. */
  ref: string;
}

/** Parse `name`, `name@1.2.0` or `name@staging`. */
export function parsePromptReference(text: string): PromptReference {
  const [name, ref, ...rest] = text.split('@');
  if (!name || rest.length || ref === '') {
    throw new InputError(
      `"${text}" is not a prompt reference; use <name>, <name>@<version> or <name>@<label>, e.g. support-answer@1.2.0`,
    );
  }
  return { name, ref: ref ?? 'production' };
}

export function isVersionRef(ref: string): boolean {
  return isSemVer(ref);
}
