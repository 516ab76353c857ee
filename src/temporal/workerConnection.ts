import { NativeConnection } from '@temporalio/worker';
import type { Env } from '../config/env';
import { unreachableTemporal } from './connection';

/** The worker's connection (a different class from the client's, per the SDK); apart so client-only commands never load the worker package. */
export async function connectWorker(env: Env): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect({ address: env.TEMPORAL_ADDRESS });
  } catch (error) {
    throw unreachableTemporal(env.TEMPORAL_ADDRESS, error);
  }
}
