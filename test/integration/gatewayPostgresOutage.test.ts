import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { setBudget } from '../../src/budgets/budgetStore';
import { migrate } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { tinyPrompt } from '../fixtures/prompts';
import { spawnTs, stopChild } from '../harness/childProcess';
import { freePort } from '../harness/freePort';
import { eventually, startGatewayHarness, type GatewayHarness } from '../harness/gateway';

const OUTAGE_MS = 10_000;

let postgres: ChildProcess;
let url: string;
let home: string;
let port: number;
let h: GatewayHarness;

beforeAll(async () => {
  // A Postgres of this test's own, so stopping it disturbs nobody else.
  home = mkdtempSync(path.join(tmpdir(), 'fd-outage-'));
  port = await freePort();
  ({ child: postgres, line: url } = await startPostgres());
  const pool = createPool(url);
  await migrate(pool);
  h = await startGatewayHarness({
    db: { url, pool, drop: async () => pool.end() },
    config: { log_max_buffered_rows: 50 },
  });
  await h.push(tinyPrompt('greet', '1.0.0', 'Say hello to {{who}}'));
}, 120_000);

afterAll(async () => {
  await h?.close();
  await h?.db.drop();
  if (postgres) await stopChild(postgres);
}, 90_000);

async function startPostgres() {
  return spawnTs(path.join(__dirname, '..', 'harness', 'postgresProcess.ts'), [home, String(port)], /^postgres:\/\//);
}

it('keeps serving while Postgres is stopped for 10 s, and afterwards every request has its row', async () => {
  const key = await h.tenant('steady');
  await eventually(() => h.gateway.state.routes.has('greet'));
  const client = h.client(key);
  const served: string[] = [];
  const failed: string[] = [];
  const readiness: string[] = [];
  let running = true;

  const load = async () => {
    while (running) {
      await client.chat.completions
        .create({ model: 'prompt:greet', messages: [], variables: { who: 'Ada' } } as never)
        .withResponse()
        .then(
          ({ response }) => served.push(response.headers.get('x-flightdeck-request-id')!),
          (error: Error) => failed.push(error.message),
        );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const loaders = Array.from({ length: 4 }, load);

  await new Promise((resolve) => setTimeout(resolve, 2000));
  const beforeOutage = served.length;
  await stopChild(postgres);
  const outageStart = served.length;
  await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS / 2));
  readiness.push(((await (await fetch(`${h.gateway.url}/readyz`)).json()) as { status: string }).status);
  await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS / 2));
  const duringOutage = served.length - outageStart;
  ({ child: postgres } = await startPostgres());
  await new Promise((resolve) => setTimeout(resolve, 2000));
  running = false;
  await Promise.all(loaders);

  expect(beforeOutage).toBeGreaterThan(10);
  expect(duringOutage).toBeGreaterThan(50);
  expect(failed).toEqual([]);
  expect(readiness).toEqual(['degraded']);

  // Spilled rows are replayed once Postgres answers: count them all.
  const stored = await eventually(async () => {
    const { rows } = await h.db.pool
      .query<{ n: string }>('SELECT count(*) AS n FROM requests WHERE request_id = ANY($1)', [served])
      .catch(() => ({ rows: [{ n: '0' }] }));
    return Number(rows[0]!.n) === served.length ? Number(rows[0]!.n) : undefined;
  }, 20_000);
  expect(stored).toBe(served.length);
  const { rows } = await h.db.pool.query<{ n: string }>('SELECT count(*) AS n FROM requests');
  expect(Number(rows[0]!.n)).toBe(served.length); // and none twice
  const metrics = await (await fetch(`${h.gateway.url}/metrics`)).text();
  expect(Number(/flightdeck_gateway_log_spilled_total (\d+)/.exec(metrics)?.[1])).toBeGreaterThan(0);
  await eventually(
    async () => ((await (await fetch(`${h.gateway.url}/readyz`)).json()) as { status: string }).status === 'ready',
  );
}, 90_000);

it('holds hard limits while Postgres is away: at most the lease left over and a small local share get through', async () => {
  const key = await h.tenant('capped');
  await setBudget(h.db.pool, { tenantId: 'capped', feature: '', rpmHard: 20, onHard: 'reject' }, 'test');
  await eventually(() => h.gateway.state.budgeted.has('capped'));
  const ask = () =>
    fetch(`${h.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'prompt:greet', messages: [], variables: { who: 'Ada' } }),
    }).then((r) => r.status);
  // Limits are per minute: run the whole check inside one minute, or a new window rightly allows more.
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 30_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 500));
  expect(await ask()).toBe(200); // a lease is taken: at most a quarter of the 20 left
  await stopChild(postgres);
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push(await ask());
    // Without Postgres: the rest of the lease (at most 4 more) plus 10% of 20 on this gateway's own account.
    expect(statuses.filter((s) => s === 200).length).toBeLessThanOrEqual(4 + 2);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(34);
  } finally {
    ({ child: postgres } = await startPostgres());
  }
}, 90_000);

it('with Postgres away and the disk refusing, answers 503 once the log is full, and stores every acknowledged row afterwards', async () => {
  const key = await h.tenant('unlucky');
  const spill = path.join(h.home, 'spill');
  rmSync(spill, { recursive: true, force: true });
  writeFileSync(spill, ''); // "disk full": the spill folder cannot be created
  const served: string[] = [];
  const refused: string[] = [];
  const ask = async () => {
    const response = await fetch(`${h.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'prompt:greet', messages: [], variables: { who: 'Ada' } }),
    });
    const body = (await response.json()) as { error?: { code: string } };
    if (response.status === 200) served.push(response.headers.get('x-flightdeck-request-id')!);
    else refused.push(`${response.status} ${body.error?.code}`);
  };
  await eventually(async () => (await ask(), served.length > 0)); // the gateway knows the new tenant
  refused.length = 0;
  await h.gateway.log.flush();
  await stopChild(postgres);
  try {
    for (let i = 0; i < 80; i++) await ask();
  } finally {
    rmSync(spill, { force: true });
    ({ child: postgres } = await startPostgres());
  }
  // Up to the 50 rows it can hold, then refusals: nothing acknowledged that could be lost.
  expect(served.length).toBeGreaterThanOrEqual(1 + 45);
  expect(served.length).toBeLessThanOrEqual(1 + 50);
  expect(new Set(refused)).toEqual(new Set(['503 log_unavailable']));
  const stored = await eventually(async () => {
    const { rows } = await h.db.pool
      .query<{ n: string }>('SELECT count(*) AS n FROM requests WHERE request_id = ANY($1)', [served])
      .catch(() => ({ rows: [{ n: '0' }] }));
    return Number(rows[0]!.n) === served.length ? Number(rows[0]!.n) : undefined;
  }, 30_000);
  expect(stored).toBe(served.length);
}, 90_000);
