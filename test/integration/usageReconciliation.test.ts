import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { loadEnv } from '../../src/config/env';
import { reconcileUsage } from '../../src/monitoring/usageReconciliation';
import { defaultProviderConfig } from '../../src/providers/config';
import { ProviderDirectory } from '../../src/providers/directory';
import { runCli } from '../harness/cli';
import { eventually, startGatewayHarness, type GatewayHarness } from '../harness/gateway';

/**
 * Issue 13, item 2: the nightly reconciliation against the providers' own usage reports, served by
 * the simulator from what it actually served (OpenAI's organization usage and costs, Anthropic's
 * usage report): traffic through the gateway reconciles; calls that bypass the gateway show as a
 * difference and raise an alert; a provider without an admin key is "unavailable", one whose
 * report fails is "failed" and the command exits 1; a bad day exits 2.
 */
let h: GatewayHarness;
let env: Record<string, string>;
const OPENAI_MODEL = 'gpt-4o-mini-2024-07-18';
const ANTHROPIC_MODEL = 'claude-haiku-4-5-20251001';
const SETTINGS = { tolerance: 0.02, min_tokens: 50, min_usd: 0.000001 };
const today = () => new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00Z`);
const directory = () => {
  const config = loadEnv({ FLIGHTDECK_SIMULATOR_PORT: String(h.sim.port) });
  return new ProviderDirectory(defaultProviderConfig(config), config);
};

beforeAll(async () => {
  h = await startGatewayHarness();
  env = { DATABASE_URL: h.db.url, FLIGHTDECK_SIMULATOR_PORT: String(h.sim.port) };
  const client = h.client(await h.tenant('reconciled'));
  for (let i = 0; i < 8; i++) {
    await client.chat.completions.create({
      model: OPENAI_MODEL,
      messages: [{ role: 'user', content: `What is ${i} + ${i}?` }],
    });
    await client.chat.completions.create({
      model: ANTHROPIC_MODEL,
      messages: [{ role: 'user', content: `Name ${i} colours.` }],
    });
  }
  await eventually(
    async () =>
      (await h.db.pool.query(`SELECT count(*)::int AS n FROM requests WHERE tenant_id = 'reconciled'`)).rows[0].n ===
      16,
  );
});

afterAll(async () => {
  await h?.close();
});

it("reconciles the gateway's traffic with both providers' reports, tokens and cost", async () => {
  const result = await reconcileUsage(h.db.pool, directory(), SETTINGS, today());
  const byName = new Map(result.providers.map((p) => [p.provider, p]));
  expect(byName.get('simulator')).toMatchObject({ status: 'reconciled', costMatches: true });
  expect(byName.get('simulator-anthropic')).toMatchObject({ status: 'reconciled', theirCostUsd: null });
  const openaiLine = byName.get('simulator')!.lines.find((l) => l.model === OPENAI_MODEL)!;
  expect(openaiLine).toMatchObject({ matches: true, inputDifference: 0, outputDifference: 0 });
  expect(openaiLine.theirs!.requests).toBe(8);
  expect(openaiLine.ours!.inputTokens).toBeGreaterThan(0);
  expect(byName.get('simulator-anthropic')!.lines[0]).toMatchObject({ model: ANTHROPIC_MODEL, matches: true });
  expect(result.raised).toBe(0);
});

it('calls that bypass the gateway show as a difference and raise an alert, resolved when the log catches up', async () => {
  // Someone uses the provider key directly, with the official clients: the provider bills what our log never saw.
  const direct = new OpenAI({ apiKey: 'simulator', baseURL: `${h.sim.url}/v1` });
  const anthropic = new Anthropic({ apiKey: 'simulator', baseURL: h.sim.url });
  for (let i = 0; i < 5; i++) {
    await direct.chat.completions.create({
      model: OPENAI_MODEL,
      messages: [{ role: 'user', content: `A long question that the gateway never logged, number ${i}. `.repeat(20) }],
    });
    await anthropic.messages.create({
      model: ANTHROPIC_MODEL,
      max_tokens: 200,
      messages: [{ role: 'user', content: `Another unlogged question ${i}. `.repeat(20) }],
    });
  }
  const result = await reconcileUsage(h.db.pool, directory(), SETTINGS, today());
  const openai = result.providers.find((p) => p.provider === 'simulator')!;
  expect(openai.status).toBe('differs');
  expect(openai.costMatches).toBe(false);
  const line = openai.lines.find((l) => l.model === OPENAI_MODEL)!;
  expect(line.matches).toBe(false);
  expect(line.inputDifference).toBeGreaterThan(500);
  expect(result.providers.find((p) => p.provider === 'simulator-anthropic')!.status).toBe('differs');
  expect(result.raised).toBe(3);
  const alerts = await h.db.pool.query(
    `SELECT key, severity FROM monitor_alerts WHERE rule_id = 'usage-reconciliation' ORDER BY key COLLATE "C"`,
  );
  expect(alerts.rows).toEqual([
    { key: 'usage-reconciliation:provider=simulator,cost', severity: 'ticket' },
    { key: `usage-reconciliation:provider=simulator,model=${OPENAI_MODEL}`, severity: 'ticket' },
    { key: `usage-reconciliation:provider=simulator-anthropic,model=${ANTHROPIC_MODEL}`, severity: 'ticket' },
  ]);
  // Run again: the same alerts, not new ones.
  expect((await reconcileUsage(h.db.pool, directory(), SETTINGS, today())).raised).toBe(0);
  // With a tolerance wide enough, the day matches and the alerts resolve themselves.
  const loose = await reconcileUsage(h.db.pool, directory(), { tolerance: 1, min_tokens: 0, min_usd: 0 }, today());
  expect(loose.resolved).toBe(3);
});

it('says which provider it cannot read and why; the command exits 1 on a failed report and 2 on a bad day', async () => {
  const config = loadEnv({ FLIGHTDECK_SIMULATOR_PORT: String(h.sim.port) });
  const providerConfig = defaultProviderConfig(config);
  delete providerConfig.providers['simulator-anthropic']!.admin_key;
  const partial = await reconcileUsage(h.db.pool, new ProviderDirectory(providerConfig, config), SETTINGS, today());
  expect(partial.providers.find((p) => p.provider === 'simulator-anthropic')).toMatchObject({
    status: 'unavailable',
    reason: expect.stringMatching(/no admin key/),
  });

  const day = today().toISOString().slice(0, 10);
  const ok = await runCli(['cost', 'reconcile', '--day', day, '--json'], env);
  expect(ok.code).toBe(0);
  expect(
    JSON.parse(ok.stdout)
      .providers.map((p: { provider: string }) => p.provider)
      .sort(),
  ).toEqual(['simulator', 'simulator-anthropic']);
  const text = await runCli(['cost', 'reconcile', '--day', day], env);
  expect(text.stdout).toMatch(new RegExp(`${OPENAI_MODEL}\\s+\\d+\\s+\\d+\\s+\\d+\\s+\\d+\\s+DIFFERS`));

  for (const bad of ['yesterday', '2026-13-45', '2999-01-01', "2026-01-01'; --"]) {
    const refused = await runCli(['cost', 'reconcile', '--day', bad], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--day/);
  }
  // The provider's report endpoint is away: reported per provider, and the command fails.
  const away = await runCli(['cost', 'reconcile', '--day', day, '--json'], { ...env, FLIGHTDECK_SIMULATOR_PORT: '1' });
  expect(away.code).toBe(1);
  expect(away.stderr).toMatch(/usage reports failed: simulator/);
});

it("the simulator's usage endpoints refuse what the providers refuse", async () => {
  const get = (path: string, headers: Record<string, string> = { authorization: 'Bearer simulator' }) =>
    fetch(`${h.sim.url}${path}`, { headers });
  expect((await get('/v1/organization/usage/completions')).status).toBe(400);
  expect((await get('/v1/organization/usage/completions?start_time=0&bucket_width=2d')).status).toBe(400);
  expect((await get('/v1/organization/usage/completions?start_time=0&page=%%%')).status).toBe(400);
  expect((await get('/v1/organization/usage/completions?start_time=0', {})).status).toBe(401);
  const anthropic = await get('/v1/organizations/usage_report/messages?starting_at=yesterday', {
    'x-api-key': 'simulator',
  });
  expect(anthropic.status).toBe(400);
  expect(((await anthropic.json()) as { type: string }).type).toBe('error');
  // Pages: one day a page, followed by next_page.
  const start = Math.floor(today().getTime() / 1000) - 2 * 86_400;
  const first = (await (await get(`/v1/organization/usage/completions?start_time=${start}&limit=1`)).json()) as {
    data: unknown[];
    has_more: boolean;
    next_page: string;
  };
  expect(first).toMatchObject({ has_more: true, data: [expect.objectContaining({ object: 'bucket' })] });
  const second = (await (
    await get(`/v1/organization/usage/completions?start_time=${start}&limit=1&page=${first.next_page}`)
  ).json()) as { data: Array<{ start_time: number }> };
  expect(second.data[0]!.start_time).toBe(start + 86_400);
});

it('the simulator builds one page of a report, however far back it is asked to start', async () => {
  const response = await fetch(
    `${h.sim.url}/v1/organization/usage/completions?start_time=0&bucket_width=1m&limit=100000`,
    {
      headers: { authorization: 'Bearer simulator' },
    },
  );
  const body = (await response.json()) as { data: unknown[]; has_more: boolean };
  expect(response.status).toBe(200);
  expect(body.data).toHaveLength(1440); // the largest page of minute buckets
  expect(body.has_more).toBe(true);
});
