/**
 * Record workflow histories for the replay tests (test/histories/*.json).
 * Run after changing a workflow on purpose, review the diff, and commit the new files:
 *   npx tsx scripts/record-histories.ts
 * Uses DATABASE_URL (a scratch database is created and dropped on it) or the embedded Postgres,
 * and a throwaway Temporal dev server.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { NativeConnection } from '@temporalio/worker';
import pg from 'pg';
import { loadEnv } from '../src/config/env';
import { startEmbeddedPostgres } from '../src/db/embedded';
import { migrate } from '../src/db/migrate';
import { defaultProviderConfig } from '../src/providers/config';
import { ProviderDirectory } from '../src/providers/directory';
import { createPool } from '../src/db/pool';
import { pushPrompts } from '../src/registry/registry';
import { findTemporalTool } from '../src/temporal/binaries';
import { startDevServer } from '../src/temporal/devServer';
import { tinyPrompt } from '../test/fixtures/prompts';
import { labelMoveWorkflow, type LabelMoveInput } from '../workflows/labelMove';
import { bundleWorkflows } from '../workers/bundle';
import { installWorkerRuntime } from '../workers/runtime';
import { createFlightdeckWorker } from '../workers/worker';

const OUT = path.join(__dirname, '..', 'test', 'histories');

async function main(): Promise<void> {
  installWorkerRuntime('WARN');
  const env = loadEnv();
  const embedded = env.DATABASE_URL ? undefined : await startEmbeddedPostgres(env.flightdeckHome, env.FLIGHTDECK_POSTGRES_PORT);
  const adminUrl = env.DATABASE_URL ?? embedded!.url;
  const scratch = `fd_record_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${scratch}`);
  const url = new URL(adminUrl);
  url.pathname = `/${scratch}`;
  const pool = createPool(url.toString());
  const server = await startDevServer(findTemporalTool('cli', env), { port: 7299 });
  try {
    await migrate(pool);
    await pushPrompts(pool, [tinyPrompt('replay-fixture', '1.0.0', 'Hi {{who}}'), tinyPrompt('replay-fixture', '1.1.0', 'Hello {{who}}')], 'recorder');
    const workerConnection = await NativeConnection.connect({ address: server.address });
    const providers = new ProviderDirectory(defaultProviderConfig(env), env);
    const worker = await createFlightdeckWorker({ connection: workerConnection, namespace: 'default', pool, providers, taskQueue: 'record', workflowBundle: await bundleWorkflows() });
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    const scenarios: Array<[string, LabelMoveInput]> = [
      ['labelMove-immediate', { name: 'replay-fixture', ref: '1.1.0', label: 'staging', actor: 'recorder', reason: 'record' }],
      ['labelMove-scheduled', { name: 'replay-fixture', ref: '1.1.0', label: 'production', actor: 'recorder', reason: 'record', notBefore: new Date(Date.now() + 1500).toISOString() }],
    ];
    mkdirSync(OUT, { recursive: true });
    await worker.runUntil(async () => {
      for (const [file, input] of scenarios) {
        const handle = await client.workflow.start(labelMoveWorkflow, { taskQueue: 'record', workflowId: `record/${file}`, args: [input] });
        await handle.result();
        writeFileSync(path.join(OUT, `${file}.json`), `${historyToJSON(await handle.fetchHistory())}\n`);
        console.log(`recorded ${file}`);
      }
    });
    await connection.close();
    await workerConnection.close();
  } finally {
    await pool.end();
    await admin.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
    await admin.end();
    await server.stop();
    await embedded?.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
