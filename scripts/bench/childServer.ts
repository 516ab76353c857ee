import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ChildServerOptions {
  env?: NodeJS.ProcessEnv;
  /** The program to run (default: this Node); args follow it. */
  command?: string;
  /** How long to wait for the first answer. */
  timeoutMs?: number;
}

/** Start a server in its own process (so it does not share a core's event loop with the load) and wait until it answers. */
export async function startChildServer(
  args: string[],
  healthUrl: string,
  options: ChildServerOptions = {},
): Promise<ChildProcess> {
  // Its own process group, so stopping it stops the workers it forks too (LiteLLM's outlive a
  // killed parent, keep the port and skew whatever runs next).
  const child = spawn(options.command ?? process.execPath, args, {
    stdio: ['ignore', 'ignore', 'ignore'],
    env: options.env ?? process.env,
    detached: true,
  });
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  while (Date.now() < deadline && child.exitCode === null) {
    try {
      const res = await fetch(healthUrl, { method: 'POST', body: '{}', headers: { authorization: 'Bearer bench' } });
      await res.arrayBuffer();
      return child;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  stopServer(child, 'SIGKILL');
  throw new Error(`server ${[options.command ?? 'node', ...args].join(' ')} did not start`);
}

/** Signal a server started here and every process of its group. */
export function stopServer(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Resident memory of a process in MiB (Linux), for the benchmark's memory column. */
export function rssMiB(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return Number.isFinite(kb) ? Math.round(kb / 1024) : undefined;
  } catch {
    return undefined;
  }
}

// Linux reports CPU time in clock ticks of 1/100 s (getconf CLK_TCK on every mainstream distribution).
const TICK_MS = 10;

/** A process's own CPU ticks and its parent, from /proc/<pid>/stat (fields after the command name). */
function statOf(pid: number): { parent: number; ticks: number } | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return { parent: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
}

/**
 * CPU time (user + system) a process and every live process under it have used so far, in ms
 * (Linux): steadier than wall time on a shared machine, and fair to servers that fork workers.
 */
export function cpuMs(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  const stats = new Map<number, { parent: number; ticks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = statOf(Number(entry));
    if (stat) stats.set(Number(entry), stat);
  }
  if (!stats.has(pid)) return undefined;
  const inTree = (candidate: number): boolean => {
    for (let at: number | undefined = candidate; at; at = stats.get(at)?.parent) if (at === pid) return true;
    return false;
  };
  let ticks = 0;
  for (const [candidate, stat] of stats) if (inTree(candidate)) ticks += stat.ticks;
  return ticks * TICK_MS;
}
