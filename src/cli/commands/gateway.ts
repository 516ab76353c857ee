import { lazy } from '../../util/lazy';
import type { Command } from 'commander';
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { loadEnv, type Env } from '../../config/env';
import { openDatabase } from '../../db/database';
import { FlightdeckError } from '../../errors';
import { positiveInt } from '../options';
import { waitForShutdownSignal } from '../waitForSignal';

// Loaded on first use: the Temporal SDK and the services take most of a second to load.
const gatewayCluster = lazy(
  () => require('../../gateway/gatewayCluster') as typeof import('../../gateway/gatewayCluster'),
);
const gatewayFromEnv = lazy(
  () => require('../../gateway/gatewayFromEnv') as typeof import('../../gateway/gatewayFromEnv'),
);

const log = (line: string) => process.stderr.write(`${line}\n`);

export function registerGatewayCommand(program: Command): void {
  program
    .command('gateway')
    .description(
      'Run the gateway: the OpenAI-compatible endpoint apps call instead of the provider (one JSON line per request on stdout)',
    )
    .option('--port <port>', 'port to listen on (default FLIGHTDECK_GATEWAY_PORT or 8787)')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--no-request-lines', 'do not print one JSON line per request on stdout')
    .option('--workers <n>', 'processes serving the port (default: one per core)')
    .action(async (opts: { port?: string; host: string; requestLines: boolean; workers?: string }) => {
      const workers = opts.workers === undefined ? availableParallelism() : positiveInt('--workers', opts.workers);
      const env = loadEnv();
      if (workers > 1 && cluster.isPrimary) return runWorkers(workers, env, opts);
      const { startGatewayFromEnv } = gatewayFromEnv();
      const db = await openDatabase(env);
      const gateway = await startGatewayFromEnv(env, db.url, {
        port: opts.port === undefined ? undefined : positiveInt('--port', opts.port),
        host: opts.host,
        jsonLines: opts.requestLines ? process.stdout : null,
      }).catch(async (error: unknown) => {
        await db.close();
        throw error;
      });
      if (cluster.isPrimary)
        log(
          `Gateway listening on ${gateway.url}\n  OpenAI-compatible: ${gateway.url}/v1 (model: a model id, or prompt:<name> with "variables")\n` +
            `  Metrics: ${gateway.url}/metrics   Ready: ${gateway.url}/readyz\n  Serving ${gateway.state.routes.size} prompt(s). Create a key with \`flightdeck tenant create <id> --tier free\`. Ctrl-C to stop.`,
        );
      await waitForShutdownSignal();
      await gateway.close();
      await db.close();
    });
}

/**
 * The primary of `--workers N`: it opens the database (starting the embedded one if needed) and
 * hands its URL to N workers that run this same command; it serves nothing itself.
 */
async function runWorkers(count: number, env: Env, opts: { port?: string; host: string }): Promise<void> {
  const db = await openDatabase(env);
  const group = gatewayCluster().forkGatewayWorkers(count, { ...process.env, DATABASE_URL: db.url }, log);
  await group.ready.catch(async (error: unknown) => {
    await group.stop();
    await db.close();
    throw new FlightdeckError((error as Error).message);
  });
  const url = `http://${opts.host}:${opts.port === undefined ? env.FLIGHTDECK_GATEWAY_PORT : positiveInt('--port', opts.port)}`;
  log(
    `Gateway listening on ${url} with ${count} workers\n  OpenAI-compatible: ${url}/v1 (model: a model id, or prompt:<name> with "variables")\n` +
      `  Metrics (all workers): ${url}/metrics   Ready: ${url}/readyz\n  Create a key with \`flightdeck tenant create <id> --tier free\`. Ctrl-C to stop.`,
  );
  await waitForShutdownSignal();
  await group.stop();
  await db.close();
}
