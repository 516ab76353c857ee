import { loadEnv, type Env } from '../config/env';
import { startEmbeddedPostgres } from './embedded';
import { migrate } from './migrate';
import { createPool, type Pool } from './pool';

export interface Database {
  pool: Pool;
  url: string;
  /** Where the URL came from, for the messages that say what we connected to. */
  source: 'DATABASE_URL' | 'embedded';
  close(): Promise<void>;
}

/**
 * Connect to DATABASE_URL, or else to the embedded Postgres under FLIGHTDECK_HOME,
 * and bring the schema up to date (migrations are idempotent and lock against each other).
 */
export async function openDatabase(env: Env = loadEnv(), options: { migrate?: boolean } = {}): Promise<Database> {
  const embedded = env.DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres(env.flightdeckHome, env.FLIGHTDECK_POSTGRES_PORT);
  const url = env.DATABASE_URL ?? embedded!.url;
  const pool = createPool(url);
  try {
    if (options.migrate ?? true) await migrate(pool);
  } catch (error) {
    await pool.end();
    await embedded?.stop();
    throw error;
  }
  return {
    pool,
    url,
    source: env.DATABASE_URL ? 'DATABASE_URL' : 'embedded',
    close: async () => {
      await pool.end();
      if (embedded?.started) await embedded.stop();
    },
  };
}
