import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { startConsole } from '../../console/consoleServer';
import { loadEnv, type Env } from '../../config/env';
import { liveRolloutStages } from '../../control/liveRollouts';
import { openDatabase } from '../../db/database';
import { InputError } from '../../errors';
import { connectClient } from '../../temporal/connection';
import { positiveInt } from '../options';
import { waitForShutdownSignal } from '../waitForSignal';

/** Rollout stages from Temporal over one connection, reconnecting at most every 30 s while Temporal is away. */
function stagesFrom(env: Env) {
  let client: Promise<Awaited<ReturnType<typeof connectClient>>> | undefined;
  let failedAt = 0;
  return {
    async stages() {
      if (!client) {
        if (Date.now() - failedAt < 30_000)
          throw new Error(`Temporal at ${env.TEMPORAL_ADDRESS} did not answer; retrying shortly`);
        client = connectClient(env);
        client.catch(() => {
          client = undefined;
          failedAt = Date.now();
        });
      }
      return liveRolloutStages((await client).client);
    },
    async close() {
      await client?.then((c) => c.close()).catch(() => undefined);
    },
  };
}

export function registerConsoleCommand(program: Command): void {
  program
    .command('console')
    .description(
      'Serve the read-only console: cost per tenant and feature, open alerts, live rollouts, service levels per prompt (operator key required)',
    )
    .option('--port <port>', 'port to listen on (default FLIGHTDECK_CONSOLE_PORT or 8790)')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--key <key>', 'the operator key (default FLIGHTDECK_CONSOLE_KEY, else a new one printed at start)')
    .option('--temporal-ui <url>', 'Temporal UI base URL for rollout links (default http://localhost:TEMPORAL_UI_PORT)')
    .action(async (opts: { port?: string; host: string; key?: string; temporalUi?: string }) => {
      const env = loadEnv();
      const key = opts.key ?? env.FLIGHTDECK_CONSOLE_KEY ?? randomBytes(24).toString('base64url');
      if (key.length < 16)
        throw new InputError('--key must be at least 16 characters (or leave it out and one is made up)');
      if (opts.temporalUi !== undefined && !/^https?:\/\/[^\s]+$/.test(opts.temporalUi))
        throw new InputError(
          `--temporal-ui must be an http(s) URL such as http://localhost:8233 (got "${opts.temporalUi}")`,
        );
      const port = opts.port === undefined ? env.FLIGHTDECK_CONSOLE_PORT : positiveInt('--port', opts.port);
      const db = await openDatabase(env);
      const temporal = stagesFrom(env);
      const running = await startConsole({
        pool: db.pool,
        key,
        port,
        host: opts.host,
        links: {
          temporalUi: (opts.temporalUi ?? `http://localhost:${env.TEMPORAL_UI_PORT}`).replace(/\/$/, ''),
          namespace: env.TEMPORAL_NAMESPACE,
          traceUrl: env.FLIGHTDECK_TRACE_URL,
        },
        stages: () => temporal.stages(),
      }).catch(async (error: unknown) => {
        await db.close();
        throw error;
      });
      process.stderr.write(
        `Console on ${running.url} (read-only)\n  Open: ${running.loginUrl}\n  Scripts: curl -H "Authorization: Bearer <key>" ${running.url}/api/console.json\n  Ctrl-C to stop.\n`,
      );
      await waitForShutdownSignal();
      await running.close();
      await temporal.close();
      await db.close();
    });
}
