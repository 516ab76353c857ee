import { spawn, type ChildProcess } from 'node:child_process';

/** Start a server in its own process (so it does not share a core's event loop with the load) and wait until it answers. */
export async function startChildServer(args: string[], healthUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      const res = await fetch(healthUrl, { method: 'POST', body: '{}', headers: { authorization: 'Bearer bench' } });
      await res.arrayBuffer();
      return child;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  child.kill();
  throw new Error(`server ${args.join(' ')} did not start`);
}
