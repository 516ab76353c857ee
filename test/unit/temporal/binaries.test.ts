import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadEnv } from '../../../src/config/env';
import { findTemporalTool } from '../../../src/temporal/binaries';

function fakeBinary(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, '#!/bin/sh\nexit 0\n');
  chmodSync(file, 0o755);
  return file;
}

describe('finding the Temporal binaries', () => {
  const savedPath = process.env.PATH;
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'fd-bin-'));
    process.env.PATH = path.join(root, 'empty-path');
  });
  afterAll(() => {
    process.env.PATH = savedPath;
  });

  const envWith = (vars: Record<string, string>) => loadEnv({ FLIGHTDECK_HOME: path.join(root, 'home'), ...vars });

  it('prefers the explicit env var', () => {
    const explicit = fakeBinary(path.join(root, 'x'), 'temporal');
    fakeBinary(path.join(root, 'home', 'tools', 'py', 'bin'), 'temporal');
    const found = findTemporalTool('cli', envWith({ TEMPORAL_CLI_PATH: explicit }), {
      install: false,
      allowDownload: false,
    });
    expect(found).toMatchObject({ source: 'env', executable: { type: 'existing-path', path: explicit } });
  });

  it('then PATH, then the tools folder', () => {
    const onPath = fakeBinary(path.join(root, 'on-path'), 'temporal-test-server');
    const inFolder = fakeBinary(path.join(root, 'home', 'tools', 'py', 'bin'), 'temporal-test-server');
    process.env.PATH = path.join(root, 'on-path');
    expect(findTemporalTool('test-server', envWith({}), { install: false, allowDownload: false })).toMatchObject({
      source: 'PATH',
      executable: { path: onPath },
    });
    process.env.PATH = path.join(root, 'empty-path');
    expect(findTemporalTool('test-server', envWith({}), { install: false, allowDownload: false })).toMatchObject({
      source: 'tools-folder',
      executable: { path: inFolder },
    });
  });

  it('falls back to the SDK download, remembering what it tried', () => {
    const found = findTemporalTool('cli', envWith({ TEMPORAL_CLI_PATH: path.join(root, 'missing') }), {
      install: false,
    });
    expect(found.source).toBe('sdk-download');
    expect(found.tried.join('\n')).toMatch(/TEMPORAL_CLI_PATH=.*missing: not an executable file/);
  });

  it('fails with one message listing everything tried and the fix', () => {
    expect(() => findTemporalTool('cli', envWith({}), { install: false, allowDownload: false })).toThrow(
      /Could not find the Temporal CLI\. Tried:\n {2}- TEMPORAL_CLI_PATH: not set\n {2}- PATH: no "temporal"\n {2}- .*tools\/py: not installed\nFix: run `npm run tools`/,
    );
  });
});
