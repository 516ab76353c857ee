import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ServerExecutable } from '../../src/temporal/binaries';
import { freePort } from '../harness/freePort';
import { harnessValue } from '../harness/harnessEnv';

const REPO = path.join(__dirname, '..', '..');

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(REPO, 'bin', 'flightdeck.js'), ...args], { env, cwd: REPO });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the README path: `flightdeck demo` on embedded defaults', () => {
  it('starts embedded Postgres and its own Temporal dev server, runs the story, and stops cleanly', async () => {
    const cli = JSON.parse(harnessValue('cli')) as ServerExecutable;
    const home = mkdtempSync(path.join(tmpdir(), 'fd-demo-'));
    chmodSync(home, 0o755); // mkdtemp makes it 0700; as root, Postgres runs as "postgres" and must reach it
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      FLIGHTDECK_HOME: home,
      // No DATABASE_URL and nothing on TEMPORAL_ADDRESS: the demo must bring both up itself.
      TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
      TEMPORAL_UI_PORT: String(await freePort()),
      FLIGHTDECK_SIMULATOR_PORT: String(await freePort()),
      FLIGHTDECK_POSTGRES_PORT: String(await freePort()),
      ...(cli.type === 'existing-path' && { TEMPORAL_CLI_PATH: cli.path }),
    };
    const first = await run(['demo', '--exit'], env);
    expect(first.stderr).toMatch(/Postgres: starting the embedded server/);
    expect(first.stderr).toMatch(/Temporal: starting the dev server/);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/support-answer@1\.0\.0: registered \[production\]/);
    expect(first.stdout).toMatch(/answer: Items can be returned within 30 days/);
    expect(first.stdout).toMatch(/workflow label\/support-answer\/staging: staging \(none\) -> 1\.1\.0/);
    expect(first.stdout).toMatch(/rollback: production 1\.1\.0 -> 1\.0\.0/);
    expect(first.stdout).toMatch(new RegExp(`Temporal UI\\s+http://127\\.0\\.0\\.1:${env.TEMPORAL_UI_PORT}`));

    // State persists under FLIGHTDECK_HOME: a second run finds the prompts already registered.
    const second = await run(['demo', '--exit'], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/support-answer@1\.0\.0: unchanged \[production\]/);
  }, 180_000);
});
