/**
 * Whether an error means Postgres is away or overloaded (connection refused or lost, timeouts,
 * shutdown, too many connections), as opposed to Postgres answering with an error about the query.
 * Only the first may be met by serving from memory; the second is a bug or bad data.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = String((error as { code?: unknown }).code ?? '');
  const message = (error as Error)?.message ?? String(error);
  return (
    /^(08|53|57P)/.test(code) ||
    /ECONNREFUSED|ECONNRESET|timeout|Connection terminated|connect ETIMEDOUT|the database system is/i.test(message)
  );
}
