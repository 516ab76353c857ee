export interface SemVer {
  major: number;
  minor: number;
  patch: number;
}

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/;

export function isSemVer(text: string): boolean {
  return SEMVER.test(text);
}

export function parseSemVer(text: string): SemVer {
  const match = SEMVER.exec(text);
  if (!match) throw new Error(`"${text}" is not a semantic version like 1.2.3`);
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) };
}

export function compareSemVer(a: SemVer, b: SemVer): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export function formatSemVer(v: SemVer): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

export type BumpKind = 'major' | 'minor' | 'patch';

/** Which part changed from `from` to `to` (to must be greater). */
export function bumpKind(from: SemVer, to: SemVer): BumpKind {
  if (to.major !== from.major) return 'major';
  if (to.minor !== from.minor) return 'minor';
  return 'patch';
}

/** The smallest version after `from` with the given bump. */
export function nextVersion(from: SemVer, kind: BumpKind): SemVer {
  if (kind === 'major') return { major: from.major + 1, minor: 0, patch: 0 };
  if (kind === 'minor') return { major: from.major, minor: from.minor + 1, patch: 0 };
  return { ...from, patch: from.patch + 1 };
}
