import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../harness/cli';
import { createTestDatabase, type TestDatabase } from '../harness/database';

const REPO = path.join(__dirname, '..', '..');
const EXAMPLES = path.join(REPO, 'examples', 'prompts');

describe('the flightdeck CLI', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  let dir: string;
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const cli = (...args: string[]) => runCli(args, env);
  const versions = async () =>
    (await db.pool.query("SELECT prompt_name || '@' || version AS v FROM prompt_versions ORDER BY 1")).rows.map(
      (r) => r.v,
    );
  const labelRows = async () => (await db.pool.query('SELECT count(*)::int AS n FROM audit_log')).rows[0].n;

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
    env = { DATABASE_URL: db.url, FLIGHTDECK_ACTOR: 'cli-test' };
    dir = mkdtempSync(path.join(tmpdir(), 'fd-cli-'));
  });
  afterAll(() => db.drop());

  it('migrates, and says so idempotently', async () => {
    const first = await cli('migrate', '--json');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout).applied).toContain('001_registry.sql');
    const second = await cli('migrate');
    expect(second.stdout).toMatch(/up to date; nothing to apply/);
  });

  it('pushes the examples, then reports a repeat push as a no-op', async () => {
    const files = ['support-answer.v1.0.0.yaml', 'support-answer.v1.1.0.yaml', 'ticket-triage.v1.0.0.yaml'].map((f) =>
      path.join(EXAMPLES, f),
    );
    const pushed = await cli('prompt', 'push', ...files, '--json');
    expect(pushed.code).toBe(0);
    expect(JSON.parse(pushed.stdout).map((r: { outcome: string }) => r.outcome)).toEqual([
      'registered',
      'registered',
      'registered',
    ]);
    const again = await cli('prompt', 'push', ...files);
    expect(again.stdout).toMatch(
      /support-answer@1\.0\.0: unchanged \(identical content already registered; nothing to do\)/,
    );
    const list = await cli('prompt', 'list', '--json');
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ name: 'support-answer', latestVersion: '1.1.0', labels: { production: '1.0.0' } }),
      expect.objectContaining({ name: 'ticket-triage', latestVersion: '1.0.0', labels: { production: '1.0.0' } }),
    ]);
  });

  it('shows, renders, diffs, labels, rolls back and shows history', async () => {
    const show = await cli('prompt', 'show', 'support-answer@1.1.0');
    expect(show.stdout).toMatch(/support-answer@1\.1\.0 {2}\(registered/);
    const render = await cli(
      'prompt',
      'render',
      'support-answer@1.0.0',
      '--vars',
      '{"question":"Where is my order?","context":"Orders ship in 2 days."}',
      '--json',
    );
    expect(JSON.parse(render.stdout).user).toBe('Context: Orders ship in 2 days.\n\nQuestion: Where is my order?\n');
    const diff = await cli('prompt', 'diff', 'support-answer', '1.0.0', '1.1.0');
    expect(diff.stdout).toMatch(
      /params: \{"temperature":0\.2,"max_tokens":300\} -> \{"temperature":0,"max_tokens":400\}/,
    );
    expect((await cli('prompt', 'label', 'support-answer', '1.1.0', 'production', '--reason', 'ship')).stdout).toMatch(
      /production 1\.0\.0 -> 1\.1\.0/,
    );
    const rollback = await cli('rollback', 'support-answer', '--reason', 'bad answers', '--json');
    expect(JSON.parse(rollback.stdout)).toMatchObject({ from: '1.1.0', to: '1.0.0', changed: true });
    const history = await cli('prompt', 'history', 'support-answer', '--json');
    expect(
      JSON.parse(history.stdout).labelMoves.map((m: { actor: string; reason: string }) => [m.actor, m.reason]),
    ).toEqual([
      ['cli-test', 'first version of the prompt'],
      ['cli-test', 'ship'],
      ['cli-test', 'bad answers'],
    ]);
  });

  describe('bad input: a clear message, exit code 2, nothing written', () => {
    const valid = `name: bad-input
version: 1.0.0
owner: team
model: gpt-4o-mini-2024-07-18
variables:
  q: { type: string }
template:
  user: "{{q}}"
`;
    it.each([
      ['malformed YAML', 'name: [oops', /is not valid YAML/],
      ['a missing field', valid.replace('owner: team\n', ''), /- owner:/],
      [
        'a wrong-typed field',
        valid.replace('owner: team', 'owner: team\nparams: { max_tokens: "lots" }'),
        /- params\.max_tokens:/,
      ],
      ['a non-semver version', valid.replace('1.0.0', 'v1'), /- version: expected a semantic version/],
      [
        'an undeclared variable',
        valid.replace('"{{q}}"', '"{{q}} {{who}}"'),
        /uses \{\{who\}\} but no variable "who" is declared/,
      ],
      [
        'an alias model for production',
        valid.replace('gpt-4o-mini-2024-07-18', 'gpt-4o'),
        /model alias "gpt-4o".*allow_alias: true/,
      ],
      [
        'a template over the size limit',
        valid.replace('"{{q}}"', `"{{q}} ${'x'.repeat(40_000)}"`),
        /over the limit of 32768 characters/,
      ],
    ])('push with %s', async (_case, yaml, message) => {
      const before = [await versions(), await labelRows()];
      const result = await cli('prompt', 'push', write('bad.yaml', yaml));
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr).toMatch(/bad\.yaml/);
      expect([await versions(), await labelRows()]).toEqual(before);
    });

    it('push of a lower version, or changed content under an existing one', async () => {
      const before = await versions();
      const lower = await cli(
        'prompt',
        'push',
        write(
          'low.yaml',
          readFileSync(path.join(EXAMPLES, 'support-answer.v1.0.0.yaml'), 'utf8')
            .replace('version: 1.0.0', 'version: 0.9.0')
            .replace('brief', 'short'),
        ),
      );
      expect(lower).toMatchObject({ code: 2 });
      expect(lower.stderr).toMatch(/not higher than the latest registered version 1\.1\.0/);
      const changed = await cli(
        'prompt',
        'push',
        write(
          'changed.yaml',
          readFileSync(path.join(EXAMPLES, 'support-answer.v1.0.0.yaml'), 'utf8').replace('brief', 'short'),
        ),
      );
      expect(changed.stderr).toMatch(/already registered with different content/);
      expect(await versions()).toEqual(before);
    });

    it('a missing file', async () => {
      const result = await cli('prompt', 'push', path.join(dir, 'nope.yaml'));
      expect(result).toMatchObject({ code: 2 });
      expect(result.stderr).toMatch(/Cannot read prompt file .*nope\.yaml: ENOENT/);
    });

    it.each([
      [['prompt', 'render', 'support-answer@1.0.0', '--vars', '{"context":"c"}'], /"question" is required/],
      [
        ['prompt', 'render', 'support-answer@1.0.0', '--vars', '{"question":1,"context":"c"}'],
        /"question" must be a string/,
      ],
      [
        ['prompt', 'render', 'support-answer@1.0.0', '--vars', '{"question":"q","context":"c","x":1}'],
        /"x" is not a declared variable/,
      ],
      [['prompt', 'render', 'support-answer@1.0.0', '--vars', '{not json'], /--vars is not valid JSON/],
      [['prompt', 'show', 'no-such-prompt'], /Unknown prompt "no-such-prompt"/],
      [['prompt', 'show', 'support-answer@canary'], /has no label "canary"/],
      [['prompt', 'show', 'support-answer@9.0.0'], /has no version "9\.0\.0"/],
      [['prompt', 'label', 'support-answer', '7.7.7', 'staging'], /has no version "7\.7\.7"/],
      [['rollback', 'ticket-triage', '--reason', 'x'], /nothing to roll back to/],
      [['rollback', 'support-answer'], /required option '--reason <text>'/],
      [['prompt', 'frobnicate'], /unknown command 'frobnicate'/],
    ])('%j', async (args, message) => {
      const before = await labelRows();
      const result = await cli(...args);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(await labelRows()).toBe(before);
    });
  });

  it('prints help for every command', async () => {
    for (const args of [
      ['--help'],
      ['prompt', '--help'],
      ['prompt', 'push', '--help'],
      ['rollback', '--help'],
      ['dev', '--help'],
      ['demo', '--help'],
    ]) {
      const result = await cli(...args);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/Usage: flightdeck/);
    }
  });

  it('runs as the installed bin with no build step', () => {
    const result = spawnSync(process.execPath, [path.join(REPO, 'bin', 'flightdeck.js'), 'prompt', 'list', '--json'], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout).map((p: { name: string }) => p.name)).toEqual(['support-answer', 'ticket-triage']);
  });
});
