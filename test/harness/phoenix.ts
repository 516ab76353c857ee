import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Env } from '../../src/config/env';
import { freePort } from './freePort';

// Pinned, like the Temporal binaries: every machine checks our spans against the same Phoenix.
const PHOENIX_PACKAGE = 'arize-phoenix==20.26.1';

/**
 * Arize Phoenix, in a virtualenv under the git-ignored tools folder: created and pip-installed once
 * (about a minute), then reused. Returns the `phoenix` executable.
 */
export function ensurePhoenix(env: Env): string {
  const venv = path.join(env.flightdeckHome, 'tools', 'phoenix');
  const phoenix = path.join(venv, 'bin', 'phoenix');
  if (existsSync(phoenix)) return phoenix;
  const run = (file: string, args: string[]) => {
    const result = spawnSync(file, args, { stdio: 'inherit' });
    if (result.status !== 0)
      throw new Error(
        `${file} ${args.join(' ')} failed (exit ${result.status}); Phoenix needs Python 3 with venv and pip`,
      );
  };
  run('python3', ['-m', 'venv', venv]);
  run(path.join(venv, 'bin', 'pip'), ['install', '--quiet', PHOENIX_PACKAGE]);
  return phoenix;
}

export interface RunningPhoenix {
  url: string;
  stop(): Promise<void>;
}

/** `phoenix serve` on free ports with a fresh working folder, once its /healthz answers. */
export async function startPhoenix(phoenix: string): Promise<RunningPhoenix> {
  const port = await freePort();
  const child: ChildProcess = spawn(phoenix, ['serve'], {
    env: {
      ...process.env,
      PHOENIX_HOST: '127.0.0.1',
      PHOENIX_PORT: String(port),
      PHOENIX_GRPC_PORT: String(await freePort()),
      PHOENIX_WORKING_DIR: mkdtempSync(path.join(tmpdir(), 'fd-phoenix-')),
    },
    stdio: 'ignore',
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`phoenix serve exited with ${child.exitCode}`);
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) throw new Error('phoenix serve did not answer /healthz within 90 s');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
