import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

/** A pg pool with an application name, so our connections are recognisable in pg_stat_activity. */
export function createPool(
  connectionString: string,
  max = 10,
  options: Omit<pg.PoolConfig, 'connectionString' | 'max'> = {},
): Pool {
  const pool = new pg.Pool({ connectionString, max, application_name: 'flightdeck', ...options });
  // An idle client losing its server must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

const ignore = () => undefined;

/** Run fn inside one transaction on one connection; roll back on any error. */
export async function withTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // pg-pool drops its error listener while a client is checked out: a server shutting down between
  // two queries of the transaction would be an unhandled 'error' event (a crash). The next query
  // fails anyway, and the transaction with it.
  client.on('error', ignore);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.removeListener('error', ignore);
    client.release();
  }
}
