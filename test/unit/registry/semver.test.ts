import { compareSemVer, isSemVer, nextVersion, parseSemVer } from '../../../src/registry/semver';

describe('semver', () => {
  it('parses and compares', () => {
    expect(isSemVer('1.2.3')).toBe(true);
    expect(isSemVer('1.2')).toBe(false);
    expect(isSemVer('01.2.3')).toBe(false);
    expect(compareSemVer(parseSemVer('1.10.0'), parseSemVer('1.9.9'))).toBeGreaterThan(0);
    expect(nextVersion(parseSemVer('1.2.3'), 'minor')).toEqual({ major: 1, minor: 3, patch: 0 });
  });
});
