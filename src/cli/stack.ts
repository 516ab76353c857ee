import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Env } from '../config/env';
import { openDatabase, type Database } from '../db/database';
import { FlightdeckError } from '../errors';
import type { RunningGateway } from '../gateway/gateway';
import { startGatewayFromEnv } from '../gateway/gatewayFromEnv';
import type { RunningSimulator } from '../simulator/server';
import { describeFound, findTemporalTool } from '../temporal/binaries';
import { temporalAnswers } from '../temporal/connection';
import { startDevServer, type RunningDevServer } from '../temporal/devServer';
import { ensureSearchAttributes } from '../temporal/searchAttributes';
import { ensureSimulator } from './simulatorProcess';
import { installWorkerRuntime } from '../../workers/runtime';
import { workerFromEnv } from '../../workers/workerFromEnv';

export interface RunningStack {
  db: Database;
  /** The environment with the addresses actually in use, for commands run inside the stack. */
  env: Env;
  urls: Array<[string, string]>;
  simulator?: RunningSimulator;
  gateway: RunningGateway;
  stop(): Promise<void>;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

async function ensureTemporal(env: Env, log: (line: string) => void): Promise<RunningDevServer | undefined> {
  if (await temporalAnswers(env.TEMPORAL_ADDRESS)) {
    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
    await ensureSearchAttributes(connection, env.TEMPORAL_NAMESPACE).finally(() => connection.close());
    log(`Temporal: using the server already at ${env.TEMPORAL_ADDRESS}`);
    return undefined;
  }
  const [host, port] = [
    env.TEMPORAL_ADDRESS.slice(0, env.TEMPORAL_ADDRESS.lastIndexOf(':')),
    Number(env.TEMPORAL_ADDRESS.split(':').pop()),
  ];
  if (!LOCAL_HOSTS.has(host) || !Number.isInteger(port)) {
    throw new FlightdeckError(
      `TEMPORAL_ADDRESS=${env.TEMPORAL_ADDRESS} does not answer and is not local, so \`dev\` cannot start it; check the address or unset it.`,
    );
  }
  const cli = findTemporalTool('cli', env);
  log(describeFound(cli));
  log('Temporal: starting the dev server…');
  mkdirSync(env.flightdeckHome, { recursive: true }); // its database file lives there (with DATABASE_URL nothing else made it)
  return startDevServer(cli, {
    port,
    uiPort: env.TEMPORAL_UI_PORT,
    dbFilename: path.join(env.flightdeckHome, 'temporal.db'),
    namespace: env.TEMPORAL_NAMESPACE,
  });
}

/**
 * Bring up what is missing: Postgres (embedded unless DATABASE_URL), the Temporal dev server with
 * its UI (unless TEMPORAL_ADDRESS answers), the simulator, the gateway and the worker. stop() undoes
 * it in reverse.
 */
export async function startStack(env: Env, log: (line: string) => void): Promise<RunningStack> {
  installWorkerRuntime(); // before the dev server: starting it creates the SDK runtime
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const fn of stops.reverse()) await fn().catch((error: Error) => log(`while stopping: ${error.message}`));
  };
  try {
    log(
      env.DATABASE_URL
        ? 'Postgres: using DATABASE_URL'
        : `Postgres: starting the embedded server under ${env.flightdeckHome}…`,
    );
    const db = await openDatabase(env);
    stops.push(() => db.close());

    const temporal = await ensureTemporal(env, log);
    if (temporal) stops.push(() => temporal.stop());

    const simulator = await ensureSimulator(env, log);
    if (simulator) stops.push(() => simulator.close());

    // The terminal is for people: the gateway's one JSON line per request goes to a file instead.
    mkdirSync(env.flightdeckHome, { recursive: true });
    const requestLines = path.join(env.flightdeckHome, 'requests.jsonl');
    const lines = createWriteStream(requestLines, { flags: 'a' });
    const gateway = await startGatewayFromEnv(env, db.url, { jsonLines: lines });
    stops.push(async () => {
      await gateway.close();
      await new Promise((resolve) => lines.end(resolve));
    });
    log(`Gateway: ${gateway.url}/v1`);

    log('Worker: bundling workflows…');
    const { worker, connection, outageWatch } = await workerFromEnv(env, db.pool);
    const running = worker.run();
    stops.push(async () => {
      worker.shutdown();
      await running;
      await outageWatch.close();
      await connection.close();
    });

    const stackEnv: Env = { ...env, DATABASE_URL: db.url };
    const urls: Array<[string, string]> = [
      ['Temporal UI', temporal?.uiUrl ?? `(the UI of the server at ${env.TEMPORAL_ADDRESS})`],
      ['Temporal gRPC', env.TEMPORAL_ADDRESS],
      [
        'Gateway',
        `${gateway.url}/v1 (OpenAI-compatible; /metrics, /readyz; one JSON line per request in ${requestLines})`,
      ],
      [
        'Simulator',
        `http://127.0.0.1:${env.FLIGHTDECK_SIMULATOR_PORT} (OpenAI: /v1, Anthropic: /v1/messages, admin: /admin/profiles)`,
      ],
      ['Postgres', db.url.replace(/:[^:@/]+@/, ':***@')],
      ['Worker', `task queue flightdeck, namespace ${env.TEMPORAL_NAMESPACE}`],
    ];
    return { db, env: stackEnv, urls, simulator, gateway, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
