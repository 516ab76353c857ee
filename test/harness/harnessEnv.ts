/** Env vars through which globalSetup hands the shared services to test files. */
export const HARNESS_ENV = {
  adminDatabaseUrl: 'FLIGHTDECK_TEST_ADMIN_DATABASE_URL',
  temporalAddress: 'FLIGHTDECK_TEST_TEMPORAL_ADDRESS',
  workflowBundle: 'FLIGHTDECK_TEST_WORKFLOW_BUNDLE',
  testServer: 'FLIGHTDECK_TEST_SERVER_EXECUTABLE',
  cli: 'FLIGHTDECK_TEST_CLI_EXECUTABLE',
  promtool: 'FLIGHTDECK_TEST_PROMTOOL',
  temporalUi: 'FLIGHTDECK_TEST_TEMPORAL_UI',
} as const;

export function harnessValue(key: keyof typeof HARNESS_ENV): string {
  const value = process.env[HARNESS_ENV[key]];
  if (!value)
    throw new Error(
      `${HARNESS_ENV[key]} is not set: run tests with \`npm test\` so jest's globalSetup starts the services`,
    );
  return value;
}
