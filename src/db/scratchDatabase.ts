import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Env } from '../config/env';
import { startEmbeddedPostgres } from './embedded';

export interface ScratchDatabase {
  url: string;
  /** Drop the database (and stop the embedded server if this started it). */
  drop(): Promise<void>;
}

async function onServer<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A throwaway database on the server at adminUrl, for tests, benchmarks and recordings. */
export async function createScratchDatabase(adminUrl: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await onServer(adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      onServer(adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}

/** A scratch database on DATABASE_URL's server, or on the embedded Postgres when it is unset. */
export async function scratchDatabaseFor(env: Env, prefix: string): Promise<ScratchDatabase> {
  const embedded = env.DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres(env.flightdeckHome, env.FLIGHTDECK_POSTGRES_PORT);
  const scratch = await createScratchDatabase(env.DATABASE_URL ?? embedded!.url, prefix);
  return {
    url: scratch.url,
    drop: async () => {
      await scratch.drop();
      if (embedded?.started) await embedded.stop();
    },
  };
}
