import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Spawn a TypeScript script under tsx and wait until a line of its output (stdout or stderr) matches
 * `ready`. One process (tsx's require hook, not its CLI, which forks a child that survives SIGKILL).
 */
export function spawnTs(
  script: string,
  args: string[],
  ready: RegExp,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), script, ...args], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let found = false;
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const line = found ? undefined : out.split('\n').find((l) => ready.test(l));
      if (line) {
        found = true;
        resolve({ child, line });
      }
      if (out.length > 100_000) out = out.slice(-10_000);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      if (!found) reject(new Error(`${script} exited with ${code} before it was ready: ${out.slice(-2000)}`));
    });
  });
}

/** SIGTERM, and wait for the exit. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
