import { lazy } from '../../util/lazy';
import type { Command } from 'commander';
import { loadEnv } from '../../config/env';
import { openDatabase } from '../../db/database';
import { positiveInt } from '../options';
import { waitForShutdownSignal } from '../waitForSignal';

// Loaded on first use: the Temporal SDK and the services take most of a second to load.
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
    .action(async (opts: { port?: string; host: string; requestLines: boolean }) => {
      const { startGatewayFromEnv } = gatewayFromEnv();
      const env = loadEnv();
      const db = await openDatabase(env);
      const gateway = await startGatewayFromEnv(env, db.url, {
        port: opts.port === undefined ? undefined : positiveInt('--port', opts.port),
        host: opts.host,
        jsonLines: opts.requestLines ? process.stdout : null,
      }).catch(async (error: unknown) => {
        await db.close();
        throw error;
      });
      log(
        `Gateway listening on ${gateway.url}\n  OpenAI-compatible: ${gateway.url}/v1 (model: a model id, or prompt:<name> with "variables")\n` +
          `  Metrics: ${gateway.url}/metrics   Ready: ${gateway.url}/readyz\n  Serving ${gateway.state.routes.size} prompt(s). Create a key with \`flightdeck tenant create <id> --tier free\`. Ctrl-C to stop.`,
      );
      await waitForShutdownSignal();
      await gateway.close();
      await db.close();
    });
}
