import { Client, Connection } from '@temporalio/client';
import type { Env } from '../config/env';
import { FlightdeckError } from '../errors';

export const TASK_QUEUE = 'flightdeck';

export function unreachableTemporal(address: string, error: unknown): FlightdeckError {
  return new FlightdeckError(
    `Cannot reach Temporal at ${address} (${(error as Error).message.split('\n')[0]}). Start the stack with \`flightdeck dev\`, or set TEMPORAL_ADDRESS to a running server.`,
  );
}

/** A client and its connection, for callers that must decide for themselves what happens when Temporal is away. */
export async function connectClient(env: Env): Promise<{ client: Client; close(): Promise<void> }> {
  let connection: Connection;
  try {
    connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS, connectTimeout: '5s' });
  } catch (error) {
    throw unreachableTemporal(env.TEMPORAL_ADDRESS, error);
  }
  return { client: new Client({ connection, namespace: env.TEMPORAL_NAMESPACE }), close: () => connection.close() };
}

/** Run fn with a client for starting, signalling and querying workflows; the connection is always closed. */
export async function withTemporalClient<T>(env: Env, fn: (client: Client) => Promise<T>): Promise<T> {
  const { client, close } = await connectClient(env);
  try {
    return await fn(client);
  } finally {
    await close();
  }
}

/** True when something answers at the address (used by `dev` to decide whether to start a server). */
export async function temporalAnswers(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: '1s' });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}
