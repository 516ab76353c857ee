import { loadEnv } from '../../src/config/env';
import { defaultProviderConfig } from '../../src/providers/config';
import { clearRouteOverride, setRouteOverride } from '../../src/routing/routeOverrides';
import { runCli } from '../harness/cli';
import { eventually, startGatewayHarness, type GatewayHarness } from '../harness/gateway';

/**
 * Issue 14, the provider-outage mitigation: a gateway-wide route override set from the CLI sends a
 * failing model's calls to its backup on the running gateway within a second; no call waits on the
 * hung primary once it is in force; /readyz and /metrics show it; restoring it sends calls to the
 * model again; bad input changes nothing.
 */
const PRIMARY = 'gpt-4o-mini-2024-07-18';
const BACKUP = 'claude-haiku-4-5-20251001';

let h: GatewayHarness;
let key: string;
let env: Record<string, string>;
const cli = (...args: string[]) => runCli(args, env);

beforeAll(async () => {
  // An attempt gets 3 s: a call that tried the hung primary would take that long at least.
  h = await startGatewayHarness({ config: { attempt_timeout_ms: 3000, deadline_ms: 8000 } });
  key = await h.tenant('acme');
  env = { DATABASE_URL: h.db.url, FLIGHTDECK_ACTOR: 'oncall', FLIGHTDECK_SIMULATOR_PORT: String(h.sim.port) };
});
afterAll(() => h.close());

async function ask() {
  const started = Date.now();
  const { data, response } = await h
    .client(key, { maxRetries: 0 })
    .chat.completions.create({ model: PRIMARY, messages: [{ role: 'user', content: 'Where is my parcel?' }] })
    .withResponse();
  const requestId = response.headers.get('x-flightdeck-request-id')!;
  const row = await eventually(
    async () => (await h.db.pool.query('SELECT attempts FROM requests WHERE request_id = $1', [requestId])).rows[0],
  );
  return { model: data.model, ms: Date.now() - started, attempts: row.attempts as Array<{ model: string }> };
}

it('an override sends a hung model to its backup at once, and restore sends calls back', async () => {
  // The primary hangs for every call from now on.
  h.sim.engine.faults.inject({ model: PRIMARY, kind: 'hang', count: 10_000 });
  const set = await cli('route', 'override', PRIMARY, '--backup', BACKUP, '--reason', 'primary hangs', '--json');
  expect(set.code).toBe(0);
  expect(JSON.parse(set.stdout).override).toMatchObject({ model: PRIMARY, backup: BACKUP, createdBy: 'oncall' });
  await eventually(() => h.gateway.state.overrides.has(PRIMARY));

  for (let i = 0; i < 3; i++) {
    const served = await ask();
    expect(served.model).toBe(BACKUP);
    expect(served.attempts.map((a) => a.model)).toEqual([BACKUP]); // the primary is never tried first
    expect(served.ms).toBeLessThan(2000); // far under the hung primary's 3 s attempt
  }
  const ready = (await (await fetch(`${h.gateway.url}/readyz`)).json()) as { routeOverrides: unknown[] };
  expect(ready.routeOverrides).toEqual([expect.objectContaining({ model: PRIMARY, backup: BACKUP, incident: null })]);
  const metrics = await (await fetch(`${h.gateway.url}/metrics`)).text();
  expect(metrics).toContain(`flightdeck_gateway_route_override{model="${PRIMARY}",backup="${BACKUP}",tenant="all"} 1`);
  // Setting it again is a no-op that says so; the audit trail holds one change.
  expect((await cli('route', 'override', PRIMARY, '--backup', BACKUP, '--reason', 'again')).stdout).toMatch(
    /already goes to/,
  );
  const audit = await h.db.pool.query(`SELECT count(*)::int AS n FROM audit_log WHERE action = 'route.override'`);
  expect(audit.rows[0].n).toBe(1);

  h.sim.engine.faults.clear();
  const restored = await cli('route', 'restore', PRIMARY, '--reason', 'provider recovered');
  expect(restored.code).toBe(0);
  expect(restored.stdout).toMatch(new RegExp(`went to ${BACKUP}`));
  await eventually(() => !h.gateway.state.overrides.has(PRIMARY));
  const back = await ask();
  expect(back.model).toBe(PRIMARY);
  expect((await cli('route', 'list')).stdout).toMatch(/No route overrides/);
  expect((await cli('route', 'restore', PRIMARY, '--reason', 'twice')).stdout).toMatch(
    /has no override; nothing to do/,
  );
});

it('bad input exits 2 with the reason and changes nothing', async () => {
  const same = await cli('route', 'override', PRIMARY, '--backup', PRIMARY, '--reason', 'loop');
  expect(same.code).toBe(2);
  expect(same.stderr).toMatch(/backup: the backup must be another model/);
  const blank = await cli('route', 'override', PRIMARY, '--backup', BACKUP, '--reason', ' ');
  expect(blank.code).toBe(2);
  const spaced = await cli('route', 'override', 'gpt 4o', '--backup', BACKUP, '--reason', 'typo');
  expect(spaced.code).toBe(2);
  expect(spaced.stderr).toMatch(/model: a model id is/);
  const { rows } = await h.db.pool.query('SELECT count(*)::int AS n FROM route_overrides');
  expect(rows[0].n).toBe(0);
});

it("an incident's undo clears only the override that incident set, not one a person set over it", async () => {
  const config = defaultProviderConfig(loadEnv({ FLIGHTDECK_SIMULATOR_PORT: String(h.sim.port) }));
  const set = (incident?: string) =>
    setRouteOverride(
      h.db.pool,
      { model: PRIMARY, backup: BACKUP, reason: 'outage', actor: 'oncall', incident },
      config,
    );
  const clear = (incident?: string) =>
    clearRouteOverride(h.db.pool, { model: PRIMARY, reason: 'over', actor: 'flightdeck', incident });
  await set('incident/provider-outage/a');
  expect(await clear('incident/provider-outage/b')).toBeNull();
  expect(await clear('incident/provider-outage/a')).toMatchObject({ incident: 'incident/provider-outage/a' });
  await set(); // by hand
  expect(await clear('incident/provider-outage/a')).toBeNull();
  expect(await clear()).toMatchObject({ incident: null });
});

it("a cap limits the output tokens of the model's calls on the running gateway, also what a caller asked for; uncap lifts it", async () => {
  const answer = async (maxTokens?: number) => {
    return h.client(key).chat.completions.create({
      model: PRIMARY,
      messages: [{ role: 'user', content: 'Explain in detail how returns, refunds and exchanges work.' }],
      ...(maxTokens ? { max_tokens: maxTokens } : {}),
    });
  };
  const free = await answer();
  expect(free.usage!.completion_tokens).toBeGreaterThan(8);
  const capped = await cli('route', 'cap', PRIMARY, '--max-tokens', '8', '--reason', 'p99 x3', '--json');
  expect(JSON.parse(capped.stdout)).toEqual({ model: PRIMARY, maxTokens: 8, changed: true });
  await eventually(async () => (await answer()).usage!.completion_tokens <= 8);
  // A caller asking for more gets the cap; one asking for less keeps its own.
  expect((await answer(500)).usage!.completion_tokens).toBeLessThanOrEqual(8);
  expect((await answer(3)).usage!.completion_tokens).toBeLessThanOrEqual(3);
  // Other models are not capped.
  const other = await h.client(key).chat.completions.create({
    model: BACKUP,
    messages: [{ role: 'user', content: 'Explain in detail how returns, refunds and exchanges work.' }],
  });
  expect(other.usage!.completion_tokens).toBeGreaterThan(8);
  const ready = (await (await fetch(`${h.gateway.url}/readyz`)).json()) as { outputCaps: unknown[] };
  expect(ready.outputCaps).toEqual([{ model: PRIMARY, maxTokens: 8, incident: null }]);
  expect((await cli('route', 'list')).stdout).toMatch(new RegExp(`${PRIMARY}\\s+8\\s+p99 x3`));
  expect((await cli('route', 'cap', PRIMARY, '--max-tokens', '8', '--reason', 'again')).stdout).toMatch(
    /already capped/,
  );
  for (const bad of [
    ['route', 'cap', PRIMARY, '--max-tokens', '0', '--reason', 'x'],
    ['route', 'cap', PRIMARY, '--max-tokens', '99999999999', '--reason', 'x'],
    ['route', 'cap', PRIMARY, '--max-tokens', '5', '--reason', 'x\u0000y'],
    ['route', 'cap', 'bad model!', '--max-tokens', '5', '--reason', 'x'],
  ])
    expect((await cli(...bad)).code).toBe(2);
  expect((await cli('route', 'uncap', PRIMARY, '--reason', 'fast again')).code).toBe(0);
  await eventually(async () => (await answer()).usage!.completion_tokens > 8);
  expect((await cli('route', 'uncap', PRIMARY, '--reason', 'again')).stdout).toMatch(/has no cap/);
});
