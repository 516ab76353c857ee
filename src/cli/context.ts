import { loadEnv, type Env } from '../config/env';
import { openDatabase, type Database } from '../db/database';

/** Open the database (DATABASE_URL or embedded), run fn, and always close it. */
export async function withDatabase<T>(
  fn: (db: Database, env: Env) => Promise<T>,
  options: { migrate?: boolean } = {},
): Promise<T> {
  const env = loadEnv();
  const db = await openDatabase(env, options);
  try {
    return await fn(db, env);
  } finally {
    await db.close();
  }
}
