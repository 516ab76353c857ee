import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BudgetLeases } from '../../src/budgets/budgetLeases';
import { setBudget } from '../../src/budgets/budgetStore';
import { parsePromptFile } from '../../src/registry/promptFile';
import { spawnTs } from '../harness/childProcess';
import { freePort } from '../harness/freePort';
import { eventually, startGatewayHarness, type GatewayHarness } from '../harness/gateway';

/**
 * Issue 10, items 1, 2, 3 and 5: hard limits are hard. Every attack is replayed through the real
 * gateway (and, for a killed gateway, a real process killed with SIGKILL).
 */
const PRIMARY = 'gpt-4o-mini-2024-07-18';
const PRICIER = 'gpt-4o-2024-08-06';

let h: GatewayHarness;

beforeAll(async () => {
  h = await startGatewayHarness({ config: { attempt_timeout_ms: 5000 } });
  await h.push(
    parsePromptFile(
      `name: echo\nversion: 1.0.0\nowner: team\nmodel: ${PRIMARY}\nparams: { max_tokens: 100 }\nvariables: { q: { type: string, max_length: 100000 } }\ntemplate: { user: "{{q}}" }\nfallbacks: [${PRICIER}]\n`,
      'echo.yaml',
    ),
  );
  await eventually(() => h.gateway.state.routes.has('echo'));
});
afterEach(() => h.sim.engine.faults.clear());
afterAll(() => h.close());

async function budgeted(id: string, usdDayHard: number): Promise<string> {
  const key = await h.tenant(id);
  await setBudget(h.db.pool, { tenantId: id, feature: '', usdDayHard, onHard: 'reject' }, 'test');
  await eventually(() => h.gateway.state.budgeted.has(id));
  return key;
}

const post = (key: string, body: unknown, signal?: AbortSignal) =>
  fetch(`${h.gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  });

/** What the tenant's served rows cost, once every answered request has its row. */
async function spentBy(tenant: string, answered: number): Promise<{ total: number; max: number }> {
  return eventually(async () => {
    const { rows } = await h.db.pool.query<{ n: string; total: string; max: string }>(
      `SELECT count(*) AS n, coalesce(sum(cost_usd), 0) AS total, coalesce(max(cost_usd), 0) AS max FROM requests WHERE tenant_id = $1 AND cost_usd > 0`,
      [tenant],
    );
    return Number(rows[0]!.n) >= answered ? { total: Number(rows[0]!.total), max: Number(rows[0]!.max) } : undefined;
  }, 15_000);
}

it('refuses an unpriced model id against a USD limit instead of serving it for free (item 1)', async () => {
  const key = await budgeted('unpriced', 0.001);
  const statuses = await Promise.all(
    Array.from({ length: 100 }, () =>
      post(key, { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }).then(async (r) => [
        r.status,
        ((await r.json()) as { error?: { code: string } }).error?.code,
      ]),
    ),
  );
  expect(new Set(statuses.map(([s, c]) => `${s} ${c}`))).toEqual(new Set(['400 unpriced_model']));
  expect(h.sim.engine.stats.byModel['gpt-4o'] ?? 0).toBe(0);
});

it("estimates a provider/model id at the real model's price: a burst of 200 stays within one request of the limit (item 1)", async () => {
  const limit = 0.05;
  const key = await budgeted('prefixed', limit);
  const content = 'Explain the refund policy for damaged parcels, step by step. '.repeat(20);
  const statuses = await Promise.all(
    Array.from({ length: 200 }, () =>
      post(key, { model: 'simulator/gpt-4o-2024-08-06', max_tokens: 200, messages: [{ role: 'user', content }] }).then(
        (r) => r.status,
      ),
    ),
  );
  const served = statuses.filter((s) => s === 200).length;
  expect(served).toBeGreaterThan(0);
  expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
  const spent = await spentBy('prefixed', served);
  expect(spent.total).toBeLessThanOrEqual(limit + spent.max);
});

it('200 parallel adversarial requests (one token per character, served by a pricier fallback) never pass the hard limit by more than one request (item 2)', async () => {
  const limit = 0.25;
  const key = await budgeted('adversary', limit);
  // Punctuation and emoji: a token per character or more, where a characters/3 estimate saw a third.
  const q = '!?.,;:'.repeat(400) + '\u{1F642}'.repeat(300);
  h.sim.engine.faults.inject({ kind: 'server', model: PRIMARY, count: 100_000 });
  const statuses = await Promise.all(
    Array.from({ length: 200 }, () =>
      post(key, { model: 'prompt:echo', messages: [], variables: { q } }).then((r) => r.status),
    ),
  );
  const served = statuses.filter((s) => s === 200).length;
  expect(served).toBeGreaterThan(0);
  expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
  const spent = await spentBy('adversary', served);
  // Printed for the record (issue 10 asks for the number): how close to the limit, and past it.
  console.log(
    `adversarial burst: ${served} of 200 served, spent $${spent.total.toFixed(5)} of a $${limit} hard limit (one request: $${spent.max.toFixed(5)}; over by ${Math.max(0, spent.total - limit).toFixed(5)})`,
  );
  expect(spent.total).toBeLessThanOrEqual(limit + spent.max);
  // They really were served by the pricier fallback, at its price.
  const models = await h.db.pool.query(
    `SELECT DISTINCT model FROM requests WHERE tenant_id = 'adversary' AND status = 200`,
  );
  expect(models.rows).toEqual([{ model: PRICIER }]);
});

it('charges a stream the client cut for what was streamed, and logs it as client-closed (item 3)', async () => {
  const key = await budgeted('cutter', 10);
  const SLOW = 'gpt-4.1-mini-2025-04-14'; // a model of its own: the fault storm above left PRIMARY's circuit open
  await fetch(`${h.sim.url}/admin/profiles/${SLOW}`, {
    method: 'PUT',
    body: JSON.stringify({ ttftMs: 10, ttftSpreadMs: 0, perTokenMs: 40, perTokenSpreadMs: 0, maxOutputTokens: 400 }),
  });
  try {
    const controller = new AbortController();
    const response = await post(
      key,
      {
        model: SLOW,
        stream: true,
        max_tokens: 400,
        messages: [{ role: 'user', content: 'Tell me a long story about parcels.' }],
      },
      controller.signal,
    );
    const id = response.headers.get('x-flightdeck-request-id')!;
    const reader = response.body!.getReader();
    let received = 0;
    while (received < 3) {
      const { done } = await reader.read();
      if (done) break;
      received++;
    }
    controller.abort();
    const row = await eventually(
      async () =>
        (
          await h.db.pool.query(
            `SELECT status, error_class, cost_usd, output_tokens FROM requests WHERE request_id = $1`,
            [id],
          )
        ).rows[0],
    );
    expect(row).toMatchObject({ status: 499, error_class: 'client_closed' });
    expect(Number(row.cost_usd)).toBeGreaterThan(0);
    expect(row.output_tokens).toBeGreaterThan(0);
    const spend = await eventually(async () => {
      const { rows } = await h.db.pool.query(
        `SELECT spent_usd FROM budget_usage WHERE tenant_id = 'cutter' AND window_kind = 'day'`,
      );
      return Number(rows[0]?.spent_usd) > 0 ? Number(rows[0].spent_usd) : undefined;
    });
    expect(spend).toBeCloseTo(Number(row.cost_usd), 10);
  } finally {
    await fetch(`${h.sim.url}/admin/profiles/${SLOW}`, { method: 'DELETE' });
  }
});

it('a gateway killed with SIGKILL holds its lease only until the lease expires (item 5)', async () => {
  const key = await budgeted('killed', 1);
  const home = mkdtempSync(path.join(tmpdir(), 'fd-lease-'));
  const gatewayFile = path.join(home, 'gateway.yaml');
  writeFileSync(gatewayFile, 'budget_lease_ttl_ms: 1000\n');
  const port = await freePort();
  const env = {
    ...process.env,
    DATABASE_URL: h.db.url,
    FLIGHTDECK_SIMULATOR_PORT: String(h.sim.port),
    FLIGHTDECK_HOME: home,
    FLIGHTDECK_GATEWAY_PORT: String(port),
    FLIGHTDECK_GATEWAY_FILE: gatewayFile,
  };
  const { child } = await spawnTs(
    path.join(__dirname, '..', '..', 'bin', 'flightdeck.js'),
    ['gateway', '--workers', '1', '--no-request-lines'],
    /Gateway listening/,
    env,
  );
  const response = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: PRIMARY, max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }),
  });
  expect(response.status).toBe(200);
  const reserved = async () =>
    Number(
      (
        await h.db.pool.query(
          `SELECT reserved_usd FROM budget_usage WHERE tenant_id = 'killed' AND window_kind = 'day'`,
        )
      ).rows[0].reserved_usd,
    );
  const held = await reserved();
  expect(held).toBeGreaterThan(0);
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
  await new Promise((resolve) => setTimeout(resolve, 1500));

  // The next lease anyone asks for reclaims the dead one first.
  const leases = new BudgetLeases(h.db.pool, { leaseEstimates: 1 });
  try {
    const ticket = await leases.admit('killed', '', 0.001);
    expect('settle' in ticket).toBe(true);
    expect(await reserved()).toBeCloseTo(0.001, 8);
    const dead = await h.db.pool.query(
      `SELECT count(*)::int AS n FROM budget_leases WHERE tenant_id = 'killed' AND expires_at < now()`,
    );
    expect(dead.rows[0].n).toBe(0);
  } finally {
    await leases.close();
  }
}, 60_000);
