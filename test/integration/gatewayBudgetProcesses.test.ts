import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { setBudget } from '../../src/budgets/budgetStore';
import { chainPrice, inputTokenBound, reservationUsd } from '../../src/budgets/estimate';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server';
import { createTenant } from '../../src/tenants/tenantStore';
import { spawnTs, stopChild } from '../harness/childProcess';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { freePort } from '../harness/freePort';
import { eventually } from '../harness/gateway';

const MODEL = 'sim-large-2026-01-01';
const LIMIT_USD = 0.01;
const MAX_TOKENS = 120;
const CONTENT = 'Explain our refund policy for damaged parcels in detail, step by step.';

let db: TestDatabase;
let sim: RunningSimulator;
const gateways: Array<{ child: ChildProcess; url: string }> = [];

beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startSimulator({ port: 0 });
  const home = mkdtempSync(path.join(tmpdir(), 'fd-budget-'));
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    const env = {
      ...process.env,
      DATABASE_URL: db.url,
      FLIGHTDECK_SIMULATOR_PORT: String(sim.port),
      FLIGHTDECK_HOME: home,
      FLIGHTDECK_GATEWAY_PORT: String(port),
    };
    const { child } = await spawnTs(
      path.join(__dirname, '..', '..', 'bin', 'flightdeck.js'),
      ['gateway', '--workers', '1', '--no-request-lines'],
      /Gateway listening/,
      env,
    );
    gateways.push({ child, url: `http://127.0.0.1:${port}` });
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(gateways.map((g) => stopChild(g.child)));
  await sim.close();
  await db.drop();
});

it('two gateway processes sharing a hard USD budget never spend past it by more than one request estimate', async () => {
  const { apiKey } = await createTenant(db.pool, { id: 'shared', tier: 'smb', experimentsOptIn: false, actor: 'test' });
  await setBudget(db.pool, { tenantId: 'shared', feature: '', usdDayHard: LIMIT_USD, onHard: 'reject' }, 'test');
  const clients = gateways.map((g) => new OpenAI({ apiKey, baseURL: `${g.url}/v1`, maxRetries: 0 }));
  // Waves of 16 concurrent calls spread over both gateways, until a whole wave is refused after the
  // previous wave's spend has settled: then the budget is truly used up.
  const statuses: number[] = [];
  for (let wave = 0; wave < 40; wave++) {
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        clients[i % 2]!.chat.completions.create({
          model: MODEL,
          max_tokens: MAX_TOKENS,
          messages: [{ role: 'user', content: CONTENT }],
        }).then(
          () => 200,
          (error: { status: number }) => error.status,
        ),
      ),
    );
    statuses.push(...results);
    if (results.every((status) => status === 429)) break;
    await new Promise((resolve) => setTimeout(resolve, 400)); // settlement rides on the log writer's batches
  }

  expect(new Set(statuses)).toEqual(new Set([200, 429]));
  const price = chainPrice([{ provider: 'simulator-openai', model: MODEL }]);
  if (price.kind !== 'priced') throw new Error(`${MODEL} must be priced`);
  const estimate = reservationUsd(price, inputTokenBound([CONTENT]), MAX_TOKENS);
  // Both processes' rows, once written: the real spend of everything served.
  let spent = 0;
  for (let i = 0; i < 100; i++) {
    const { rows } = await db.pool.query<{ n: string; spent: string }>(
      `SELECT count(*) AS n, coalesce(sum(cost_usd), 0) AS spent FROM requests WHERE tenant_id = 'shared' AND status = 200`,
    );
    if (Number(rows[0]!.n) === statuses.filter((s) => s === 200).length) {
      spent = Number(rows[0]!.spent);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // Reservations are upper bounds: at the end each gateway may hold one estimate it cannot use, and a
  // request is refused when less than its estimate is left, so up to about three estimates stay unspent.
  expect(spent).toBeGreaterThan(LIMIT_USD - 4 * estimate);
  expect(spent).toBeLessThanOrEqual(LIMIT_USD + estimate);
  // Idle gateways give their unused leases back: in the end all that is held is what was spent.
  const usage = await eventually(async () => {
    const { rows } = await db.pool.query<{ spent_usd: string; reserved_usd: string }>(
      `SELECT spent_usd, reserved_usd FROM budget_usage WHERE tenant_id = 'shared' AND window_kind = 'day'`,
    );
    return Math.abs(Number(rows[0]!.reserved_usd)) < 1e-9 ? rows[0] : undefined;
  }, 10_000);
  expect(Number(usage.spent_usd)).toBeCloseTo(spent, 8);
}, 90_000);
