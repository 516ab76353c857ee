import { lazy } from '../../util/lazy';
import type { Command } from 'commander';
import { loadEnv } from '../../config/env';
import { openDatabase } from '../../db/database';
import { startSimulator } from '../../simulator/server';
import { table } from '../output';
import { waitForShutdownSignal } from '../waitForSignal';

// Loaded on first use: the Temporal SDK and the services take most of a second to load.
const workerModule = lazy(
  () => require('../../../workers/workerFromEnv') as typeof import('../../../workers/workerFromEnv'),
);
const runtime = lazy(() => require('../../../workers/runtime') as typeof import('../../../workers/runtime'));
const stackModule = lazy(() => require('../stack') as typeof import('../stack'));
const demo = lazy(() => require('./demo') as typeof import('./demo'));

const log = (line: string) => process.stderr.write(`${line}\n`);

export function registerServiceCommands(program: Command): void {
  program
    .command('simulator')
    .description('Run the provider simulator: a real HTTP server speaking the OpenAI and Anthropic APIs')
    .option('--port <port>', 'port to listen on (default FLIGHTDECK_SIMULATOR_PORT or 8788)')
    .option('--seed <n>', 'random seed, for runs that replay the same', '42')
    .action(async (opts: { port?: string; seed: string }) => {
      const env = loadEnv();
      const sim = await startSimulator({
        port: opts.port ? Number(opts.port) : env.FLIGHTDECK_SIMULATOR_PORT,
        seed: Number(opts.seed),
        adminToken: env.FLIGHTDECK_SIMULATOR_ADMIN_TOKEN,
      });
      log(
        `Simulator listening on ${sim.url}\n  OpenAI:    ${sim.url}/v1\n  Anthropic: ${sim.url}\n  Admin:     ${sim.url}/admin/profiles, /admin/faults, /admin/stats\nCtrl-C to stop.`,
      );
      await waitForShutdownSignal();
      await sim.close();
    });

  program
    .command('worker')
    .description('Run the Temporal worker (task queue "flightdeck") against TEMPORAL_ADDRESS')
    .action(async () => {
      runtime().installWorkerRuntime('INFO');
      const env = loadEnv();
      const db = await openDatabase(env);
      const { worker, connection, outageWatch } = await workerModule().workerFromEnv(env, db.pool);
      log(
        `Worker polling task queue "flightdeck" on ${env.TEMPORAL_ADDRESS} (namespace ${env.TEMPORAL_NAMESPACE}). Ctrl-C to stop.`,
      );
      const running = worker.run();
      await Promise.race([waitForShutdownSignal(), running]);
      worker.shutdown();
      await running.catch(() => undefined);
      await outageWatch.close();
      await connection.close();
      await db.close();
    });

  program
    .command('dev')
    .description(
      'Start everything that is missing (Postgres, Temporal with its UI, simulator, worker) and keep it running',
    )
    .action(async () => {
      const { startStack } = stackModule();
      const stack = await startStack(loadEnv(), log);
      log(`\nFlightdeck dev stack is up:\n${table(['SERVICE', 'WHERE'], stack.urls)}\n\nCtrl-C to stop everything.`);
      await waitForShutdownSignal();
      log('Stopping…');
      await stack.stop();
    });

  program
    .command('demo')
    .description('Bring the stack up and walk through the registry story with the example prompts')
    .option('--exit', 'stop the stack when the demo is done instead of keeping it up')
    .action(async (opts: { exit?: boolean }) => demo().runDemo(opts));
}
