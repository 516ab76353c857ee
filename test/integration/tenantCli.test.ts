import { hashApiKey } from '../../src/tenants/apiKey';
import { runCli } from '../harness/cli';
import { createTestDatabase, type TestDatabase } from '../harness/database';

let db: TestDatabase;
let env: Record<string, string>;
const cli = (...args: string[]) => runCli(args, env);

beforeAll(async () => {
  db = await createTestDatabase();
  env = { DATABASE_URL: db.url, FLIGHTDECK_ACTOR: 'ops' };
});
afterAll(() => db.drop());

describe('flightdeck tenant', () => {
  it('creates a tenant, prints its key once and stores only the hash', async () => {
    const created = await cli('tenant', 'create', 'acme', '--tier', 'enterprise', '--experiments-opt-in', '--json');
    expect(created.code).toBe(0);
    const { id, tier, apiKey } = JSON.parse(created.stdout);
    expect({ id, tier }).toEqual({ id: 'acme', tier: 'enterprise' });
    expect(apiKey).toMatch(/^fdk_[\w-]{43}$/);
    const { rows } = await db.pool.query('SELECT key_hash, experiments_opt_in FROM tenants');
    expect(rows).toEqual([{ key_hash: hashApiKey(apiKey), experiments_opt_in: true }]);
    expect(JSON.stringify(rows)).not.toContain(apiKey);

    const again = await cli('tenant', 'create', 'acme', '--tier', 'free');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists/);
    const listed = await cli('tenant', 'list', '--json');
    expect(listed.stdout).not.toContain(apiKey);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ id: 'acme', status: 'active', keyPrefix: apiKey.slice(0, 10) }),
    ]);
  });

  it('refuses bad input with exit 2 and writes nothing', async () => {
    for (const args of [
      ['tenant', 'create', 'Bad Id', '--tier', 'free'],
      ['tenant', 'create', 'ok', '--tier', 'platinum'],
      ['tenant', 'create', 'ok', '--tier', 'free', '--pii', 'shred'],
      ['tenant', 'throttle', 'acme', '--reason', ' '],
      ['tenant', 'kill', 'nobody', '--reason', 'x'],
      ['tenant', 'budget', 'acme', '--usd-day-hard', 'lots'],
      ['tenant', 'budget', 'acme', '--rpm-soft', '10', '--rpm-hard', '5'],
      ['tenant', 'budget', 'acme', '--on-hard', 'downgrade'],
    ]) {
      const result = await cli(...args);
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toMatch(/^error: /);
    }
    expect((await db.pool.query('SELECT id FROM tenants')).rows).toEqual([{ id: 'acme' }]);
    expect((await db.pool.query('SELECT count(*)::int AS n FROM budgets')).rows[0].n).toBe(0);
  });

  it('throttles, kills and restores with an audited reason; setting the same status twice is a no-op', async () => {
    expect((await cli('tenant', 'throttle', 'acme', '--reason', 'retry storm')).stdout).toMatch(
      /acme: active -> throttled/,
    );
    expect((await cli('tenant', 'throttle', 'acme', '--reason', 'retry storm')).stdout).toMatch(/already throttled/);
    expect((await cli('tenant', 'kill', 'acme', '--reason', 'fraud', '--json')).stdout).toContain('"to": "killed"');
    expect((await cli('tenant', 'restore', 'acme', '--reason', 'cleared')).code).toBe(0);
    const audit = await db.pool.query(
      `SELECT actor, to_value, reason FROM audit_log WHERE action = 'tenant.status' ORDER BY id`,
    );
    expect(audit.rows.map((r) => r.to_value)).toEqual(['throttled', 'throttled', 'killed', 'active']);
    expect(audit.rows[0]).toMatchObject({ actor: 'ops', reason: 'retry storm' });
  });

  it('sets budgets per tenant and per feature', async () => {
    expect(
      (await cli('tenant', 'budget', 'acme', '--rpm-hard', '600', '--usd-day-soft', '20', '--usd-day-hard', '25')).code,
    ).toBe(0);
    const feature = await cli(
      'tenant',
      'budget',
      'acme',
      '--feature',
      'search',
      '--usd-day-hard',
      '5',
      '--on-hard',
      'downgrade',
      '--downgrade-model',
      'gpt-4o-mini-2024-07-18',
    );
    expect(feature.stdout).toMatch(/acme feature search set/);
    const { rows } = await db.pool.query(
      'SELECT feature, rpm_hard, usd_day_soft::float, usd_day_hard::float, on_hard, downgrade_model FROM budgets ORDER BY feature',
    );
    expect(rows).toEqual([
      { feature: '', rpm_hard: 600, usd_day_soft: 20, usd_day_hard: 25, on_hard: 'reject', downgrade_model: null },
      {
        feature: 'search',
        rpm_hard: null,
        usd_day_soft: null,
        usd_day_hard: 5,
        on_hard: 'downgrade',
        downgrade_model: 'gpt-4o-mini-2024-07-18',
      },
    ]);
  });
});
