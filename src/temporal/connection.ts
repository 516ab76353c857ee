import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Env } from '../config/env';
import { FlightdeckError } from '../errors';

export const TASK_QUEUE = 'flightdeck';

function unreachable(address: string, error: unknown): FlightdeckError {
  return new FlightdeckError(
    `Cannot reach Temporal at ${address} (${(error as Error).message.split('\n')[0]}). Start the stack with \`flightdeck dev\`, or set TEMPORAL_ADDRESS to a running server.`,
  );
}

/** A client for starting, signalling and querying workflows. */
export async function connectClient(env: Env): Promise<{ client: Client; close(): Promise<void> }> {
  try {
    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS, connectTimeout: '5s' });
    return { client: new Client({ connection, namespace: env.TEMPORAL_NAMESPACE }), close: () => connection.close() };
  } catch (error) {
    throw unreachable(env.TEMPORAL_ADDRESS, error);
  }
}

/** The worker's connection (a different class from the client's, per the SDK). */
export async function connectWorker(env: Env): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
  } catch (error) {
    throw unreachable(env.TEMPORAL_ADDRESS, error);
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
