import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadEnv } from '../../src/config/env';
import { startEmbeddedPostgres } from '../../src/db/embedded';
import { describeFound, findTemporalTool } from '../../src/temporal/binaries';
import { startDevServer } from '../../src/temporal/devServer';
import { bundleWorkflows } from '../../workers/bundle';
import { installWorkerRuntime } from '../../workers/runtime';
import { freePort } from './freePort';
import { HARNESS_ENV } from './harnessEnv';
import { ensurePromtool } from './promtool';

/**
 * Once per test run: a database server (DATABASE_URL, else embedded), one Temporal dev server (with its UI),
 * the time-skipping test server's path, promtool, and one workflow bundle. Test files get them via env vars.
 */
export default async function globalSetup(): Promise<void> {
  installWorkerRuntime('WARN');
  const env = loadEnv();
  const stops: Array<() => Promise<void>> = [];

  let adminUrl = env.DATABASE_URL;
  if (!adminUrl) {
    const embedded = await startEmbeddedPostgres(path.join(env.flightdeckHome, 'test'), 54330);
    stops.push(embedded.stop);
    adminUrl = embedded.url;
  }

  const cli = findTemporalTool('cli', env);
  const testServer = findTemporalTool('test-server', env);
  const log = (line: string) => process.stderr.write(`\n[harness] ${line}`);
  log(describeFound(cli));
  log(describeFound(testServer));
  const promtool = ensurePromtool(env);
  log(`promtool: ${promtool.path} (from ${promtool.source})`);
  const port = await freePort();
  const temporal = await startDevServer(cli, { port, uiPort: await freePort() });
  stops.push(temporal.stop);

  const bundleDir = mkdtempSync(path.join(tmpdir(), 'flightdeck-bundle-'));
  const bundlePath = path.join(bundleDir, 'workflows.js');
  writeFileSync(bundlePath, (await bundleWorkflows()).code);

  process.env[HARNESS_ENV.adminDatabaseUrl] = adminUrl;
  process.env[HARNESS_ENV.temporalAddress] = temporal.address;
  process.env[HARNESS_ENV.temporalUi] = temporal.uiUrl!;
  process.env[HARNESS_ENV.workflowBundle] = bundlePath;
  process.env[HARNESS_ENV.testServer] = JSON.stringify(testServer.executable);
  process.env[HARNESS_ENV.cli] = JSON.stringify(cli.executable);
  process.env[HARNESS_ENV.promtool] = promtool.path;
  (globalThis as { __flightdeckStops?: typeof stops }).__flightdeckStops = stops;
  log(`Temporal dev server on ${temporal.address}; database ${adminUrl.replace(/:[^:@/]+@/, ':***@')}\n`);
}
