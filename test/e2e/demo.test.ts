import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { temporalAnswers } from '../../src/temporal/connection';
import type { ServerExecutable } from '../../src/temporal/binaries';
import { freePort } from '../harness/freePort';
import { harnessValue } from '../harness/harnessEnv';

const REPO = path.join(__dirname, '..', '..');

function start(
  args: string[],
  env: NodeJS.ProcessEnv,
): {
  child: ChildProcessWithoutNullStreams;
  output: () => { stdout: string; stderr: string };
  exit: Promise<number | null>;
} {
  const child = spawn(process.execPath, [path.join(REPO, 'bin', 'flightdeck.js'), ...args], { env, cwd: REPO });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, output: () => ({ stdout, stderr }), exit };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function run(args: string[], env: NodeJS.ProcessEnv) {
  const running = start(args, env);
  const code = await running.exit;
  return { code, ...running.output() };
}

/** A fresh FLIGHTDECK_HOME and free ports: no DATABASE_URL, nothing on TEMPORAL_ADDRESS, as on a new machine. */
async function freshMachineEnv(): Promise<NodeJS.ProcessEnv> {
  const cli = JSON.parse(harnessValue('cli')) as ServerExecutable;
  const home = mkdtempSync(path.join(tmpdir(), 'fd-e2e-'));
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    FLIGHTDECK_HOME: home,
    TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
    TEMPORAL_UI_PORT: String(await freePort()),
    FLIGHTDECK_SIMULATOR_PORT: String(await freePort()),
    FLIGHTDECK_GATEWAY_PORT: String(await freePort()),
    FLIGHTDECK_POSTGRES_PORT: String(await freePort()),
    // The binary this run already found, so the test does not pip-install into the temp home.
    ...(cli.type === 'existing-path' && { TEMPORAL_CLI_PATH: cli.path }),
  };
}

describe('the README path on embedded defaults', () => {
  it('`flightdeck demo` starts embedded Postgres and its own Temporal, runs the story, and keeps state', async () => {
    const env = await freshMachineEnv();
    const first = await run(['demo', '--exit'], env);
    expect(first.stderr).toMatch(/Postgres: starting the embedded server/);
    expect(first.stderr).toMatch(/Temporal: starting the dev server/);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/support-answer@1\.0\.0: registered \[production\]/);
    expect(first.stdout).toMatch(/answer: Items can be returned within 30 days/);
    expect(first.stdout).toMatch(/workflow label\/support-answer\/staging: staging \(none\) -> 1\.1\.0/);
    expect(first.stdout).toMatch(/Cohen's kappa 0\.\d+, Spearman 0\.\d+ on 66 examples/);
    expect(first.stdout).toMatch(/promotion\/support-answer\/1\.2\.0: rejected, pass rate \d+% \(failed: .*pass_rate/);
    expect(first.stdout).toMatch(/canary 1\.1\.0: canary at 50%/);
    expect(first.stdout).toMatch(/released: promoted, production is now 1\.1\.0/);
    expect(first.stdout).toMatch(/rolled-back: analysis failed at step 1 .*fail/);
    expect(first.stdout).toMatch(/production stays 1\.1\.0; 1\.3\.0 stays registered/);
    expect(first.stdout).toMatch(/rollback: production 1\.1\.0 -> 1\.0\.0/);
    // Gateway traffic from the official openai client: the stable version, and the fallback once the primary overloads.
    expect(first.stdout).toMatch(/1\.0\.0\s+stable\s+gpt-4o-mini-2024-07-18\s+no\s+\d+/);
    expect(first.stdout).toMatch(/1\.0\.0\s+stable\s+claude-haiku-4-5-20251001\s+yes\s+\d+/);
    expect(first.stdout).toMatch(new RegExp(`Temporal UI\\s+http://127\\.0\\.0\\.1:${env.TEMPORAL_UI_PORT}`));

    const second = await run(['demo', '--exit'], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/support-answer@1\.0\.0: unchanged \[production\]/);
    expect(second.stdout).toMatch(/support-answer@1\.2\.0 was already rejected by an earlier run/);
    expect(second.stdout).toMatch(/released: promoted, production is now 1\.1\.0/);
    expect(second.stdout).toMatch(/rolled-back: analysis failed/);
  }, 180_000);

  it('`flightdeck dev` prints every URL and stops everything on Ctrl-C', async () => {
    const env = await freshMachineEnv();
    const dev = start(['dev'], env);
    const deadline = Date.now() + 90_000;
    while (!/dev stack is up/.test(dev.output().stderr) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 200));
    const { stderr } = dev.output();
    for (const service of ['Temporal UI', 'Temporal gRPC', 'Gateway', 'Simulator', 'Postgres', 'Worker'])
      expect(stderr).toMatch(new RegExp(`^${service}\\s`, 'm'));
    expect((await fetch(`http://127.0.0.1:${env.FLIGHTDECK_GATEWAY_PORT}/readyz`)).ok).toBe(true);
    expect(await temporalAnswers(env.TEMPORAL_ADDRESS!)).toBe(true);
    expect((await fetch(`http://127.0.0.1:${env.FLIGHTDECK_SIMULATOR_PORT}/healthz`)).ok).toBe(true);

    dev.child.kill('SIGINT');
    expect(await dev.exit).toBe(0);
    expect(dev.output().stderr).not.toMatch(/while stopping/);
    expect(await temporalAnswers(env.TEMPORAL_ADDRESS!)).toBe(false);
    await expect(fetch(`http://127.0.0.1:${env.FLIGHTDECK_SIMULATOR_PORT}/healthz`)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${env.FLIGHTDECK_GATEWAY_PORT}/healthz`)).rejects.toThrow();
    expect(await listening(Number(env.FLIGHTDECK_POSTGRES_PORT))).toBe(false);
  }, 180_000);
});
