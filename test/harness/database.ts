import { migrate } from '../../src/db/migrate';
import { createPool, type Pool } from '../../src/db/pool';
import { createScratchDatabase } from '../../src/db/scratchDatabase';
import { harnessValue } from './harnessEnv';

export interface TestDatabase {
  url: string;
  pool: Pool;
  drop(): Promise<void>;
}

/** A fresh database per test file, so Jest workers never see each other's rows. */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const scratch = await createScratchDatabase(harnessValue('adminDatabaseUrl'), 'fd_test');
  const pool = createPool(scratch.url);
  if (options.migrate ?? true) await migrate(pool);
  return {
    url: scratch.url,
    pool,
    drop: async () => {
      await pool.end();
      await scratch.drop();
    },
  };
}
