import { loadMigrations, migrate } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { createTestDatabase, type TestDatabase } from '../harness/database';

describe('migrations on a real Postgres', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(() => db.drop());

  it('apply once even when two processes start at the same time, and are a no-op after', async () => {
    const other = createPool(db.url);
    try {
      const [a, b] = await Promise.all([migrate(db.pool), migrate(other)]);
      const all = loadMigrations().map((m) => m.name);
      expect([...a, ...b].sort()).toEqual(all);
      const { rows } = await db.pool.query('SELECT name FROM schema_migrations ORDER BY name');
      expect(rows.map((r) => r.name)).toEqual(all);
      expect(await migrate(db.pool)).toEqual([]);
    } finally {
      await other.end();
    }
  });

  it('refuse a migration edited after it was applied', async () => {
    const edited = loadMigrations().map((m, i) => (i === 0 ? { ...m, checksum: 'different' } : m));
    await expect(migrate(db.pool, edited)).rejects.toThrow(/was changed after it was applied/);
  });
});
