import { runCli } from '../harness/cli';
import { eventually, startGatewayHarness, type GatewayHarness } from '../harness/gateway';

/** Issue 13, item 2: what a tenant cost, from the rollups real gateway traffic fills. */
let h: GatewayHarness;
let env: Record<string, string>;
const cli = (...args: string[]) => runCli(args, env);

beforeAll(async () => {
  h = await startGatewayHarness();
  env = { DATABASE_URL: h.db.url };
  const acme = h.client(await h.tenant('acme'));
  const probe = h.client(await h.tenant('probe', { kind: 'synthetic' }));
  const ask = (client: typeof acme, model: string, feature: string) =>
    client.chat.completions.create(
      { model, messages: [{ role: 'user', content: 'How long do I have to return an item?' }] },
      { headers: { 'x-flightdeck-feature': feature } },
    );
  for (let i = 0; i < 6; i++) await ask(acme, 'gpt-4o-2024-08-06', 'search');
  for (let i = 0; i < 3; i++) await ask(acme, 'gpt-4o-mini-2024-07-18', 'chat');
  for (let i = 0; i < 4; i++) await ask(probe, 'gpt-4o-2024-08-06', 'probe');
  await eventually(async () => {
    const { rows } = await h.db.pool.query(`SELECT count(*)::int AS n FROM requests`);
    return rows[0].n === 13;
  });
});
afterAll(() => h?.close());

it("reports a tenant's cost by feature and model, as stored row by row, and leaves synthetic traffic out unless asked", async () => {
  const stored = await h.db.pool.query(
    `SELECT feature, model, count(*)::int AS calls, sum(cost_usd)::float8 AS cost FROM requests WHERE tenant_id = 'acme' GROUP BY 1, 2`,
  );
  const result = await cli('cost', 'report', '--tenant', 'acme', '--by', 'feature,model', '--since', '7d', '--json');
  expect(result.code).toBe(0);
  const report = JSON.parse(result.stdout);
  expect(report.totals.calls).toBe(9);
  const total = stored.rows.reduce((sum: number, r: { cost: number }) => sum + r.cost, 0);
  expect(report.totals.costUsd).toBeCloseTo(total, 8);
  expect(total).toBeGreaterThan(0);
  for (const row of stored.rows) {
    const group = report.groups.find(
      (g: { key: { feature: string; model: string } }) => g.key.feature === row.feature && g.key.model === row.model,
    );
    expect(group).toMatchObject({ calls: row.calls });
    expect(group.costUsd).toBeCloseTo(row.cost, 8);
    expect(group.series).toHaveLength(1);
  }

  const everyone = JSON.parse((await cli('cost', 'report', '--json')).stdout);
  expect(everyone.groups.map((g: { key: { tenant: string } }) => g.key.tenant)).toEqual(['acme']);
  const withSynthetic = JSON.parse((await cli('cost', 'report', '--include-synthetic', '--json')).stdout);
  expect(withSynthetic.totals.calls).toBe(13);

  const text = await cli('cost', 'report', '--tenant', 'acme');
  expect(text.stdout).toMatch(/Cost for tenant acme/);
  expect(text.stdout).toMatch(/projected monthly spend/);
  const csv = (await cli('cost', 'report', '--by', 'feature', '--csv')).stdout.trim().split('\n');
  expect(csv[0]).toBe('feature,day,calls,cost_usd');
  expect(
    csv
      .slice(1)
      .map((line) => line.split(',')[0])
      .sort(),
  ).toEqual(['chat', 'search']);
});

it('refuses bad options with exit 2 and a message that says what to write', async () => {
  const since = await cli('cost', 'report', '--since', '28');
  expect(since.code).toBe(2);
  expect(since.stderr).toMatch(/--since must be a number of days such as 28d/);
  const by = await cli('cost', 'report', '--by', 'tenant,colour');
  expect(by.code).toBe(2);
  expect(by.stderr).toMatch(/unknown: colour/);
  expect((await cli('cost', 'report', '--json', '--csv')).code).toBe(2);
  for (const tenant of ['acme\u0000', 'a'.repeat(10_000), "acme' OR 1=1"]) {
    const hostile = await cli('cost', 'report', '--tenant', tenant);
    expect(hostile.code).toBe(2);
    expect(hostile.stderr).toMatch(/--tenant: a tenant id is lowercase/);
  }
  expect((await cli('cost', 'report', '--max-cost-per-call', 'lots')).code).toBe(2);
});
