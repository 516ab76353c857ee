import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import OpenAI from 'openai';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server';
import { createTenant } from '../../src/tenants/tenantStore';
import { spawnTs, stopChild } from '../harness/childProcess';
import { runCli } from '../harness/cli';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { freePort } from '../harness/freePort';

/** Live gateway workers whose parent is `pid` (Linux /proc; tsx's esbuild service is a child too). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const [state, parent] = stat.split(') ')[1]!.split(' ');
        return (
          Number(parent) === pid &&
          state !== 'Z' &&
          readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('flightdeck.js')
        );
      } catch {
        return false;
      }
    })
    .map(Number);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let db: TestDatabase;
let sim: RunningSimulator;
let primary: ChildProcess;
let client: OpenAI;
let port: number;

beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startSimulator({ port: 0 });
  const { apiKey } = await createTenant(db.pool, { id: 'busy', tier: 'free', experimentsOptIn: false, actor: 'test' });
  port = await freePort();
  ({ child: primary } = await spawnTs(
    path.join(__dirname, '..', '..', 'bin', 'flightdeck.js'),
    ['gateway', '--workers', '2', '--no-request-lines'],
    /Gateway listening on .* with 2 workers/,
    {
      ...process.env,
      DATABASE_URL: db.url,
      FLIGHTDECK_SIMULATOR_PORT: String(sim.port),
      FLIGHTDECK_GATEWAY_PORT: String(port),
    },
  ));
  client = new OpenAI({ apiKey, baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  if (primary) await stopChild(primary);
  await sim.close();
  await db.drop();
});

const ask = () => client.chat.completions.create({ model: 'sim-instant', messages: [{ role: 'user', content: 'hi' }] });
const served = async () =>
  Number(
    /^flightdeck_gateway_requests_total\{status="200"[^}]*\} (\d+)$/m.exec(
      await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
    )?.[1] ?? 0,
  );

describe('flightdeck gateway --workers N (every core)', () => {
  it('serves one port from N processes, and /metrics counts what all of them served', async () => {
    expect(childrenOf(primary.pid!)).toHaveLength(2);
    await Promise.all(Array.from({ length: 40 }, ask));
    // Whichever worker answers the scrape, the count is the whole gateway's.
    for (let i = 0; i < 4; i++) expect(await served()).toBe(40);
  });

  it('replaces a worker that dies, and keeps serving meanwhile', async () => {
    const [victim] = childrenOf(primary.pid!);
    process.kill(victim!, 'SIGKILL');
    // A kept-alive connection to the dead worker breaks; the client's own retry (on by default) takes
    // a new connection, which a live worker accepts.
    const retrying = new OpenAI({ apiKey: client.apiKey, baseURL: client.baseURL, maxRetries: 2 });
    for (let i = 0; i < 10; i++)
      await retrying.chat.completions.create({ model: 'sim-instant', messages: [{ role: 'user', content: 'hi' }] });
    const deadline = Date.now() + 20_000;
    while (
      !(childrenOf(primary.pid!).length === 2 && !childrenOf(primary.pid!).includes(victim!)) &&
      Date.now() < deadline
    )
      await sleep(200);
    expect(childrenOf(primary.pid!)).toHaveLength(2);
    expect(childrenOf(primary.pid!)).not.toContain(victim);
    await ask();
  });

  it('stops every worker with the primary', async () => {
    const workers = childrenOf(primary.pid!);
    await stopChild(primary);
    const alive = () =>
      workers.filter((pid) => {
        try {
          process.kill(pid, 0);
          return true;
        } catch {
          return false;
        }
      });
    const deadline = Date.now() + 10_000;
    while (alive().length && Date.now() < deadline) await sleep(100);
    expect(alive()).toEqual([]);
  });

  it.each(['0', '-1', 'two', '1e9999'])('refuses --workers %s with exit 2 and starts nothing', async (value) => {
    const result = await runCli(['gateway', '--workers', value], { ...process.env, DATABASE_URL: db.url } as Record<
      string,
      string
    >);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--workers/);
  });
});
