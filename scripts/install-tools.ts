/**
 * Find (or pip-install into .flightdeck/tools) the Temporal CLI and the time-skipping test server,
 * and Arize Phoenix (the tests read our spans back through it); say which copy each will use. Run by
 * `.ci/run` and `npm run tools`.
 */
import { loadEnv } from '../src/config/env';
import { FlightdeckError } from '../src/errors';
import { describeFound, findTemporalTool } from '../src/temporal/binaries';
import { ensurePhoenix } from '../test/harness/phoenix';

try {
  const env = loadEnv();
  for (const tool of ['cli', 'test-server'] as const) {
    console.log(describeFound(findTemporalTool(tool, env, { allowDownload: false })));
  }
  console.log(`Arize Phoenix: ${ensurePhoenix(env)}`);
} catch (error) {
  console.error(`error: ${(error as Error).message}`);
  process.exit(error instanceof FlightdeckError ? error.exitCode : 1);
}
