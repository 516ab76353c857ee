import { affectedRequests, purgeBodies } from '../../src/incidents/securityEvidence';
import { hashApiKey, keyPrefix, newApiKey } from '../../src/tenants/apiKey';
import { revokePreviousKey, rotateTenantKey } from '../../src/tenants/tenantStore';
import { tinyPrompt } from '../fixtures/prompts';
import { runCli } from '../harness/cli';
import { eventually, startGatewayHarness, type GatewayHarness } from '../harness/gateway';

/**
 * Issue 14's security controls on a real gateway and Postgres, through the official openai client
 * and the CLI: a key rotation's overlap (the gateway checks the old key's time on every request),
 * the prompt kill switch, and the purge of stored bodies.
 */
let h: GatewayHarness;
let env: Record<string, string>;
const cli = (...args: string[]) => runCli(args, env);

beforeAll(async () => {
  h = await startGatewayHarness();
  env = { DATABASE_URL: h.db.url };
  await h.push(tinyPrompt('faq', '1.0.0', 'Answer {{who}}'));
  await eventually(() => h.gateway.state.routes.has('faq'));
});
afterAll(() => h.close());

/** The status (200 or the refusal's) and the error code of one call. */
async function call(key: string, model = 'gpt-4o-mini-2024-07-18'): Promise<{ status: number; code?: string }> {
  try {
    await h.client(key).chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'hi' }],
      ...(model.startsWith('prompt:') ? { variables: { who: 'Ada' } } : {}),
    } as never);
    return { status: 200 };
  } catch (error) {
    const e = error as { status: number; code?: string };
    return { status: e.status, code: e.code };
  }
}

describe('tenant rotate-key', () => {
  it('prints the new key once; both keys work in the overlap, the old one is refused once its time is past', async () => {
    const oldKey = await h.tenant('rotating');
    const rotated = await cli('tenant', 'rotate-key', 'rotating', '--reason', 'laptop stolen', '--json');
    expect(rotated.code).toBe(0);
    const { apiKey, oldKeyValidUntil } = JSON.parse(rotated.stdout) as { apiKey: string; oldKeyValidUntil: string };
    expect(Date.parse(oldKeyValidUntil) - Date.now()).toBeGreaterThan(59 * 60_000);
    await eventually(async () => (await call(apiKey)).status === 200);
    expect(await call(oldKey)).toEqual({ status: 200 });
    // Stored nowhere in clear: the table holds hashes only.
    const stored = JSON.stringify((await h.db.pool.query("SELECT * FROM tenants WHERE id = 'rotating'")).rows);
    expect(stored).not.toContain(apiKey);
    expect(stored).not.toContain(oldKey);
    const listed = await cli('tenant', 'list');
    expect(listed.stdout).toContain(`(old ${keyPrefix(oldKey)}… until`);

    // The window closes (moved into the past here): the gateway refuses the old key by its time alone.
    await h.db.pool.query(
      "UPDATE tenants SET previous_key_expires_at = now() - interval '1 second' WHERE id = 'rotating'",
    );
    await h.db.pool.query("SELECT pg_notify('flightdeck_tenants', 'rotating')");
    await eventually(async () => (await call(oldKey)).code === 'api_key_revoked');
    expect(await call(apiKey)).toEqual({ status: 200 });
  });

  it("with no overlap the old key stops at once; a second rotation ends the first one's overlap", async () => {
    const first = await h.tenant('twice');
    const second = JSON.parse(
      (await cli('tenant', 'rotate-key', 'twice', '--reason', 'leak', '--overlap-minutes', '30', '--json')).stdout,
    ).apiKey as string;
    await eventually(async () => (await call(second)).status === 200);
    expect((await call(first)).status).toBe(200);
    const third = JSON.parse(
      (await cli('tenant', 'rotate-key', 'twice', '--reason', 'leak again', '--overlap-minutes', '0', '--json')).stdout,
    ).apiKey as string;
    await eventually(async () => (await call(third)).status === 200);
    expect(await call(first)).toMatchObject({ status: 401 });
    expect(await call(second)).toMatchObject({ status: 401 });
  });

  it('is idempotent for the same new key, and revokes only the key it names', async () => {
    await h.tenant('steady');
    const key = newApiKey();
    const rotation = {
      tenant: 'steady',
      newKeyHash: hashApiKey(key),
      newKeyPrefix: keyPrefix(key),
      overlapMinutes: 10,
      actor: 'test',
      reason: 'drill',
    };
    const once = await rotateTenantKey(h.db.pool, rotation);
    const again = await rotateTenantKey(h.db.pool, rotation);
    expect(again).toEqual(once);
    const audits = await h.db.pool.query(
      "SELECT count(*)::int AS n FROM audit_log WHERE action = 'tenant.key.rotate' AND subject = 'steady'",
    );
    expect(audits.rows[0].n).toBe(1);
    const revoke = { tenant: 'steady', actor: 'test', reason: 'overlap closed' };
    expect(await revokePreviousKey(h.db.pool, { ...revoke, keyHash: 'f'.repeat(64) })).toBe(false);
    expect(await revokePreviousKey(h.db.pool, { ...revoke, keyHash: once.previousKeyHash! })).toBe(true);
    expect(await revokePreviousKey(h.db.pool, { ...revoke, keyHash: once.previousKeyHash! })).toBe(false);
  });

  it('refuses bad input with exit 2 and changes nothing', async () => {
    const key = await h.tenant('untouched');
    for (const args of [
      ['tenant', 'rotate-key', 'nobody', '--reason', 'x'],
      ['tenant', 'rotate-key', 'untouched', '--reason', 'x', '--overlap-minutes', '-5'],
      ['tenant', 'rotate-key', 'untouched', '--reason', 'x', '--overlap-minutes', '99999'],
      ['tenant', 'rotate-key', 'untouched', '--reason', ' '],
    ]) {
      const result = await cli(...args);
      expect(result.code).toBe(2);
      expect(result.stderr).not.toBe('');
    }
    const row = await h.db.pool.query("SELECT key_hash, previous_key_hash FROM tenants WHERE id = 'untouched'");
    expect(row.rows[0]).toEqual({ key_hash: hashApiKey(key), previous_key_hash: null });
  });
});

describe('prompt disable|enable', () => {
  it('refuses the prompt on every call until enabled, leaves direct calls alone, and says when nothing changed', async () => {
    const key = await h.tenant('caller');
    expect(await call(key, 'prompt:faq')).toEqual({ status: 200 });
    expect((await cli('prompt', 'disable', 'faq', '--reason', 'leaking the system prompt')).code).toBe(0);
    await eventually(async () => (await call(key, 'prompt:faq')).code === 'prompt_disabled');
    expect(await call(key, 'prompt:faq')).toEqual({ status: 403, code: 'prompt_disabled' });
    expect(await call(key)).toEqual({ status: 200 });
    expect((await cli('prompt', 'list')).stdout).toContain('faq (disabled)');
    expect((await cli('prompt', 'disable', 'faq', '--reason', 'again')).stdout).toContain('already disabled');
    expect((await cli('prompt', 'enable', 'faq', '--reason', 'fixed')).code).toBe(0);
    await eventually(async () => (await call(key, 'prompt:faq')).status === 200);
    for (const verb of ['disable', 'enable']) {
      const blank = await cli('prompt', verb, 'faq', '--reason', ' ');
      expect([blank.code, blank.stderr]).toEqual([2, expect.stringMatching(/Give a reason/)]);
    }
    const unknown = await cli('prompt', 'disable', 'nothing-here', '--reason', 'x');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('No prompt "nothing-here"');
  });
});

describe('the purge of affected bodies', () => {
  it('deletes only the named bodies, keeps their log rows, and is idempotent', async () => {
    const key = await h.tenant('purged');
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { response } = await h
        .client(key)
        .chat.completions.create({ model: 'gpt-4o-mini-2024-07-18', messages: [{ role: 'user', content: `m${i}` }] })
        .withResponse();
      ids.push(response.headers.get('x-flightdeck-request-id')!);
    }
    const found = await eventually(async () => {
      const got = await affectedRequests(h.db.pool, { requestIds: ids.slice(0, 2), sinceMinutes: 60 });
      return got.requests.length === 2 && got.requests.every((r) => r.body) && got;
    });
    const purge = { requests: found.requests, actor: 'test', reason: 'pii', subject: 'purged' };
    expect(await purgeBodies(h.db.pool, purge)).toBe(2);
    expect(await purgeBodies(h.db.pool, purge)).toBe(0);
    const left = await eventually(async () => {
      const got = await affectedRequests(h.db.pool, { requestIds: ids, sinceMinutes: 60 });
      return got.requests.length === 3 && got;
    });
    expect(left.requests.map((r) => [r.requestId, r.body !== null]).sort()).toEqual(
      [
        [ids[0], false],
        [ids[1], false],
        [ids[2], true],
      ].sort(),
    );
  });
});
