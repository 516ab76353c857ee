/**
 * Find (or pip-install into .flightdeck/tools) the Temporal CLI and the time-skipping test server,
 * and say which copy each command will use. Run by `.ci/run` and `npm run tools`.
 */
import { loadEnv } from '../src/config/env';
import { FlightdeckError } from '../src/errors';
import { describeFound, findTemporalTool } from '../src/temporal/binaries';

try {
  const env = loadEnv();
  for (const tool of ['cli', 'test-server'] as const) {
    console.log(describeFound(findTemporalTool(tool, env, { allowDownload: false })));
  }
} catch (error) {
  console.error(`error: ${(error as Error).message}`);
  process.exit(error instanceof FlightdeckError ? error.exitCode : 1);
}
