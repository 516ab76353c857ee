import { parsePromptFile } from '../../src/registry/promptFile';
import { setRoute } from '../../src/routing/routeStore';
import { eventually, startGatewayHarness, type GatewayHarness } from '../harness/gateway';

/**
 * Issue 10, items 14 and 15: personal data stays where the tenant's policy says, in the shadow's
 * provider calls and in the response cache. Replayed through the real gateway and simulator.
 */
const SECRET = { card: '4111 1111 1111 1111', ssn: '123-45-6789', email: 'jane.doe@example.com' };
const QUESTION = `My card ${SECRET.card}, SSN ${SECRET.ssn}, mail ${SECRET.email}: where is my parcel?`;

let h: GatewayHarness;

beforeAll(async () => {
  h = await startGatewayHarness({ config: { cache_purge_interval_ms: 0 } });
  const version = (v: string, cache: boolean) =>
    parsePromptFile(
      `name: support\nversion: ${v}\nowner: team\nmodel: gpt-4o-mini-2024-07-18\nvariables: { q: { type: string } }\ntemplate: { system: "You help (${v}).", user: "{{q}}" }\n${cache ? 'gateway: { cache: { ttl_seconds: 600 } }\n' : ''}`,
      `support-${v}.yaml`,
    );
  await h.push(version('1.0.0', true), version('1.1.0', false));
});
afterAll(() => h.close());

const run = (key: string, q: string) =>
  fetch(`${h.gateway.url}/v1/prompts/support/run`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    body: JSON.stringify({ variables: { q } }),
  }).then(async (r) => ({
    status: r.status,
    body: (await r.json()) as { request_id: string; cache_hit: boolean; output: string },
  }));

it("mirrors to the shadow only what the tenant's policy lets a provider see (item 14)", async () => {
  const key = await h.tenant('careful', { piiPolicy: 'redact' });
  await setRoute(h.db.pool, { prompt: 'support', shadowVersion: '1.1.0', shadowSampleBp: 10_000, actor: 'test' });
  await eventually(() => h.gateway.state.routes.get('support')?.shadow?.sampleBp === 10_000);
  h.sim.engine.recent.length = 0;
  const served = await run(key, QUESTION);
  expect(served.status).toBe(200);
  const shadowRow = await eventually(
    async () =>
      (await h.db.pool.query(`SELECT request_id FROM requests WHERE shadow_of = $1`, [served.body.request_id])).rows[0],
  );
  expect(shadowRow).toBeDefined();
  const seen = h.sim.engine.recent.filter((r) => r.system.includes('You help'));
  expect(seen.map((r) => r.system).sort()).toEqual(['You help (1.0.0).', 'You help (1.1.0).']);
  for (const request of seen) {
    expect(request.conversation).not.toContain('4111');
    expect(request.conversation).not.toContain(SECRET.ssn);
    expect(request.conversation).not.toContain(SECRET.email);
    expect(request.conversation).toContain('[REDACTED:card]');
  }
  await setRoute(h.db.pool, { prompt: 'support', shadowVersion: null, shadowSampleBp: 0, actor: 'test' });
  await eventually(() => !h.gateway.state.routes.get('support')?.shadow);
});

it('keeps cached answers per tenant, without raw personal data, and purges expired ones (item 15)', async () => {
  const alice = await h.tenant('alice', { piiPolicy: 'allow' });
  const bob = await h.tenant('bob', { piiPolicy: 'allow' });
  const first = await run(alice, QUESTION);
  expect(first.body.cache_hit).toBe(false);
  await eventually(
    async () => (await h.db.pool.query(`SELECT 1 FROM response_cache WHERE tenant_id = 'alice'`)).rowCount,
  );
  expect((await run(alice, QUESTION)).body.cache_hit).toBe(true);
  // Bob asking the same gets his own answer, not a hit that tells him what Alice asked.
  expect((await run(bob, QUESTION)).body.cache_hit).toBe(false);
  const stored = await h.db.pool.query<{ response: { text: string } }>(`SELECT response FROM response_cache`);
  for (const row of stored.rows) expect(row.response.text).not.toMatch(/4111|123-45-6789|jane\.doe/);

  // An expired row is never served and is deleted by the next write.
  await h.db.pool.query(
    `INSERT INTO response_cache (key, tenant_id, prompt_name, response, expires_at) VALUES ('stale', 'alice', 'support', '{}', now() - interval '1 hour')`,
  );
  await h.db.pool.query(`UPDATE response_cache SET expires_at = now() - interval '1 second' WHERE tenant_id = 'bob'`);
  await run(bob, `${QUESTION} (again)`);
  await eventually(
    async () => (await h.db.pool.query(`SELECT 1 FROM response_cache WHERE key = 'stale'`)).rowCount === 0,
  );
});
