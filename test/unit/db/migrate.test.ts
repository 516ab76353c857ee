import { loadMigrations } from '../../../src/db/migrate';

describe('migration files', () => {
  it('are numbered, ordered and checksummed', () => {
    const migrations = loadMigrations();
    expect(migrations.length).toBeGreaterThan(0);
    expect(migrations.map((m) => m.name)).toEqual([...migrations.map((m) => m.name)].sort());
    for (const m of migrations) {
      expect(m.name).toMatch(/^\d{3}_[a-z0-9_]+\.sql$/);
      expect(m.checksum).toMatch(/^[0-9a-f]{64}$/);
    }
  });
});
