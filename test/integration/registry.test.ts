import pg from 'pg';
import { InputError, NotFoundError } from '../../src/errors';
import { LABEL_CHANNEL, moveLabel, rollbackProduction } from '../../src/registry/labels';
import { parsePromptFile } from '../../src/registry/promptFile';
import { listPrompts, promptHistory, pushPrompts, resolvePrompt } from '../../src/registry/registry';
import { diffVersions } from '../../src/registry/diff';
import { createTestDatabase, type TestDatabase } from '../harness/database';

function promptYaml(
  version: string,
  opts: { model?: string; user?: string; extraVar?: boolean; name?: string; allowAlias?: boolean } = {},
): string {
  return `
name: ${opts.name ?? 'faq'}
version: ${version}
owner: team
model: ${opts.model ?? 'gpt-4o-mini-2024-07-18'}
${opts.allowAlias ? 'allow_alias: true' : ''}
variables:
  question: { type: string }
${opts.extraVar ? '  lang: { type: string }' : ''}
template:
  user: "${opts.user ?? 'Q: {{question}}'}"
`;
}
const file = (version: string, opts = {}) => parsePromptFile(promptYaml(version, opts), `faq-${version}.yaml`);

async function versionCount(db: TestDatabase): Promise<number> {
  const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM prompt_versions');
  return rows[0].n;
}

describe('prompt registry on a real Postgres', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db.drop());

  it('registers a first version as production and treats identical content as a no-op', async () => {
    const [first] = await pushPrompts(db.pool, [file('1.0.0')], 'alice');
    expect(first).toMatchObject({ name: 'faq', version: '1.0.0', outcome: 'registered', labels: ['production'] });
    const [again] = await pushPrompts(db.pool, [file('1.0.0')], 'alice');
    expect(again).toMatchObject({ outcome: 'unchanged', contentHash: first!.contentHash });
    expect(await versionCount(db)).toBe(1);
  });

  it('refuses different content under an existing version', async () => {
    await expect(pushPrompts(db.pool, [file('1.0.0', { user: 'Question: {{question}}' })], 'alice')).rejects.toThrow(
      /already registered with different content/,
    );
  });

  it('enforces bump rules against the latest version', async () => {
    await expect(pushPrompts(db.pool, [file('1.0.1', { model: 'gpt-4o-2024-08-06' })], 'a')).rejects.toThrow(
      /needs a minor bump from 1\.0\.0, so use 1\.1\.0/,
    );
    await expect(
      pushPrompts(db.pool, [file('1.1.0', { extraVar: true, user: 'Q: {{question}} {{lang}}' })], 'a'),
    ).rejects.toThrow(/needs a major bump/);
    await expect(pushPrompts(db.pool, [file('0.9.0', { user: 'x {{question}}' })], 'a')).rejects.toThrow(
      /not higher than the latest/,
    );
    expect(await versionCount(db)).toBe(1);
  });

  it('writes nothing when any file of a push is refused', async () => {
    const good = file('1.0.1', { user: 'Question: {{question}}' });
    const bad = parsePromptFile(promptYaml('1.0.0', { name: 'other', model: 'gpt-4o' }), 'other.yaml'); // alias for a first (production) version
    await expect(pushPrompts(db.pool, [good, bad], 'a')).rejects.toThrow(/model alias "gpt-4o"/);
    expect(await versionCount(db)).toBe(1);
    expect((await listPrompts(db.pool)).map((p) => p.name)).toEqual(['faq']);
  });

  it('gives later versions no label until one is moved, with an audit row', async () => {
    const [pushed] = await pushPrompts(db.pool, [file('1.0.1', { user: 'Question: {{question}}' })], 'bob');
    expect(pushed!.labels).toEqual([]);
    const move = await moveLabel(db.pool, {
      name: 'faq',
      label: 'staging',
      version: '1.0.1',
      actor: 'bob',
      reason: 'try it',
    });
    expect(move).toMatchObject({ from: null, to: '1.0.1', changed: true });
    expect(await moveLabel(db.pool, { name: 'faq', label: 'staging', version: '1.0.1', actor: 'bob' })).toMatchObject({
      changed: false,
    });
    const audit = await db.pool.query(
      `SELECT actor, from_value, to_value, reason, details FROM audit_log WHERE action = 'label.move' AND details->>'label' = 'staging'`,
    );
    expect(audit.rows).toEqual([
      {
        actor: 'bob',
        from_value: null,
        to_value: '1.0.1',
        reason: 'try it',
        details: { label: 'staging', rollback: false },
      },
    ]);
    expect((await resolvePrompt(db.pool, 'faq', 'staging')).version).toBe('1.0.1');
  });

  it('delivers a label move to a LISTENing connection within 100 ms', async () => {
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    try {
      await listener.query(`LISTEN ${LABEL_CHANNEL}`);
      const received = new Promise<{ payload: unknown; at: number }>((resolve) =>
        listener.on('notification', (n) => resolve({ payload: JSON.parse(n.payload!), at: performance.now() })),
      );
      const start = performance.now();
      await moveLabel(db.pool, { name: 'faq', label: 'production', version: '1.0.1', actor: 'carol', reason: 'ship' });
      const { payload, at } = await received;
      expect(payload).toEqual({ prompt: 'faq', label: 'production', from: '1.0.0', to: '1.0.1' });
      expect(at - start).toBeLessThan(100);
    } finally {
      await listener.end();
    }
  });

  it('rolls production back to the previous version in one step', async () => {
    const result = await rollbackProduction(db.pool, { name: 'faq', reason: 'answers got worse', actor: 'oncall' });
    expect(result).toMatchObject({ from: '1.0.1', to: '1.0.0', changed: true });
    expect((await resolvePrompt(db.pool, 'faq')).version).toBe('1.0.0');
    await expect(rollbackProduction(db.pool, { name: 'faq', reason: 'again', actor: 'oncall' })).rejects.toThrow(
      /nothing to roll back to/,
    );
    expect(
      await rollbackProduction(db.pool, { name: 'faq', to: '1.0.1', reason: 'fixed upstream', actor: 'oncall' }),
    ).toMatchObject({ to: '1.0.1' });
  });

  it('refuses an alias model for production unless the file allows it', async () => {
    await pushPrompts(db.pool, [file('1.1.0', { model: 'gpt-4o-latest', user: 'Question: {{question}}' })], 'a');
    await expect(
      moveLabel(db.pool, { name: 'faq', label: 'production', version: '1.1.0', actor: 'a' }),
    ).rejects.toThrow(/uses the model alias "gpt-4o-latest".*allow_alias: true/);
    await expect(
      moveLabel(db.pool, { name: 'faq', label: 'staging', version: '1.1.0', actor: 'a' }),
    ).resolves.toMatchObject({ changed: true });
    await pushPrompts(
      db.pool,
      [file('1.2.0', { model: 'gpt-4o-latest', user: 'Question: {{question}}', allowAlias: true })],
      'a',
    );
    await expect(
      moveLabel(db.pool, { name: 'faq', label: 'production', version: '1.2.0', actor: 'a' }),
    ).resolves.toMatchObject({ changed: true });
  });

  it('reports unknown prompts, versions and labels clearly', async () => {
    await expect(resolvePrompt(db.pool, 'nope')).rejects.toThrow(NotFoundError);
    await expect(resolvePrompt(db.pool, 'faq', '9.9.9')).rejects.toThrow(/has no version "9\.9\.9"/);
    await expect(resolvePrompt(db.pool, 'faq', 'canary')).rejects.toThrow(/has no label "canary"/);
    await expect(moveLabel(db.pool, { name: 'faq', label: 'Bad Label', version: '1.0.0', actor: 'a' })).rejects.toThrow(
      InputError,
    );
  });

  it('shows history and diffs', async () => {
    const history = await promptHistory(db.pool, 'faq');
    expect(history.versions.map((v) => v.version)).toEqual(['1.0.0', '1.0.1', '1.1.0', '1.2.0']);
    expect(history.labelMoves.filter((m) => m.label === 'production').map((m) => m.to)).toEqual([
      '1.0.0',
      '1.0.1',
      '1.0.0',
      '1.0.1',
      '1.2.0',
    ]);
    const diff = diffVersions(
      await resolvePrompt(db.pool, 'faq', '1.0.0'),
      await resolvePrompt(db.pool, 'faq', '1.1.0'),
    );
    expect(diff.templateDiff).toContain('-Q: {{question}}');
    expect(diff.templateDiff).toContain('+Question: {{question}}');
    expect(diff.changedFields).toEqual([{ field: 'model', from: 'gpt-4o-mini-2024-07-18', to: 'gpt-4o-latest' }]);
  });
});
