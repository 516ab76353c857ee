import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pushPrompts } from '../../src/registry/registry';
import { setRoute } from '../../src/routing/routeStore';
import { startSimulator } from '../../src/simulator/server';
import { tinyPrompt } from '../fixtures/prompts';
import { runCli } from '../harness/cli';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { freePort } from '../harness/freePort';
import { harnessValue } from '../harness/harnessEnv';

/**
 * Issue 10, items 18 (the end of it), 22 and 23 through the real CLI, Postgres and Temporal dev
 * server: on-call's rollback works with no workflow and no Temporal; bad prompt files exit 2.
 */
let db: TestDatabase;
let dir: string;
let env: Record<string, string>;
const cli = (...args: string[]) => runCli(args, env);

beforeAll(async () => {
  db = await createTestDatabase();
  dir = mkdtempSync(path.join(tmpdir(), 'fd-trust-cli-'));
  env = { DATABASE_URL: db.url, TEMPORAL_ADDRESS: harnessValue('temporalAddress'), FLIGHTDECK_ACTOR: 'oncall' };
});
afterAll(() => db.drop());

const candidate = async () =>
  (await db.pool.query(`SELECT candidate_version, candidate_weight_bp FROM routes WHERE prompt_name = $1`, ['orphan']))
    .rows[0];

describe('flightdeck rollback without a live rollout (item 18)', () => {
  beforeAll(async () => {
    await pushPrompts(
      db.pool,
      [tinyPrompt('orphan', '1.0.0', 'Hi {{who}}'), tinyPrompt('orphan', '1.1.0', 'Hello {{who}}')],
      'dev',
    );
  });

  it('reports a candidate route that no rollout owns, and clears it, audited as forced', async () => {
    // What a terminated rollout leaves behind: the candidate still routed, nobody to roll it back.
    await setRoute(db.pool, { prompt: 'orphan', candidateVersion: '1.1.0', weightBp: 2500, actor: 'rollout' });
    const status = await cli('rollout', 'status', 'orphan');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(
      /WARNING: orphan's route still sends traffic to a candidate, but no rollout\/orphan is running/,
    );

    const rolled = await cli('rollback', 'orphan', '--reason', 'workflow terminated', '--json');
    expect(rolled.code).toBe(0);
    expect(JSON.parse(rolled.stdout)).toMatchObject({ kind: 'route-restored', why: 'no live rollout/orphan' });
    expect(await candidate()).toMatchObject({ candidate_version: null, candidate_weight_bp: 0 });
    const audit = await db.pool.query(
      `SELECT actor, reason, details FROM audit_log WHERE action = 'route.set' AND subject = 'orphan' ORDER BY id DESC LIMIT 1`,
    );
    expect(audit.rows[0]).toMatchObject({
      actor: 'oncall',
      reason: 'workflow terminated',
      details: { details: { forced: true } },
    });
  });

  it('clears it even when Temporal cannot be reached', async () => {
    await setRoute(db.pool, { prompt: 'orphan', candidateVersion: '1.1.0', weightBp: 500, actor: 'rollout' });
    const rolled = await runCli(['rollback', 'orphan', '--reason', 'temporal is down', '--json'], {
      ...env,
      TEMPORAL_ADDRESS: `127.0.0.1:${await freePort()}`,
    });
    expect(rolled.code).toBe(0);
    expect(JSON.parse(rolled.stdout)).toMatchObject({
      kind: 'route-restored',
      why: expect.stringMatching(/Cannot reach Temporal/),
    });
    expect(await candidate()).toMatchObject({ candidate_version: null, candidate_weight_bp: 0 });
  }, 30_000);
});

describe('prompt files beyond their limits exit 2 with a message, and nothing is stored (item 22)', () => {
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const valid = (extra = '') =>
    `name: limits\nversion: 1.0.0\nowner: team\nmodel: gpt-4o-mini-2024-07-18\nvariables: { who: { type: string } }\ntemplate: { user: "Hi {{who}}" }\n${extra}`;

  it.each([
    [
      'too large',
      () => write('huge.yaml', valid(`description: "${'x'.repeat(300 * 1024)}"\n`)),
      /at most 262144 bytes/,
    ],
    [
      'an alias bomb',
      () =>
        write(
          'bomb.yaml',
          `${valid()}a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n`,
        ),
      /alias/,
    ],
    ['a NUL character', () => write('nul.yaml', valid().replace('Hi {{who}}', 'Hi\u0000{{who}}')), /NUL character/],
  ])('%s', async (_label, make, message) => {
    const result = await cli('prompt', 'push', make());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(
      (await db.pool.query(`SELECT count(*)::int AS n FROM prompt_versions WHERE prompt_name = 'limits'`)).rows[0].n,
    ).toBe(0);
  });
});

describe("the simulator's admin API (item 23)", () => {
  it('takes an optional token: with one set, changing faults or profiles needs it', async () => {
    const sim = await startSimulator({ adminToken: 'admin-secret-123' });
    try {
      const fault = (headers: Record<string, string>) =>
        fetch(`${sim.url}/admin/faults`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ kind: 'server', model: 'm', count: 1 }),
        });
      expect((await fault({})).status).toBe(401);
      expect((await fault({ authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await fault({ authorization: 'Bearer admin-secret-123' })).status).toBeLessThan(300);
      expect(sim.engine.faults.list()).toHaveLength(1);
    } finally {
      await sim.close();
    }
    const open = await startSimulator({});
    try {
      expect((await fetch(`${open.url}/admin/stats`)).status).toBe(200);
    } finally {
      await open.close();
    }
  });
});
