import { isDatabaseUnavailable } from '../db/unavailable';
import { CircuitBreaker } from '../routing/circuitBreaker';

/**
 * Hot-path queries (budget leases, cache, unknown keys) go through here: while Postgres is failing
 * they are skipped for a second at a time instead of each waiting on a dead connection.
 */
export class DatabaseGuard {
  private readonly breaker = new CircuitBreaker({ failures: 1, cooldownMs: 1000 });

  /**
   * The query's result, or undefined when Postgres is (or just turned out to be) away. Any other
   * error is thrown: a query Postgres refused is not a reason to serve without checks.
   */
  async run<T>(query: () => Promise<T>): Promise<T | undefined> {
    if (!this.breaker.tryPass()) return undefined;
    try {
      const result = await query();
      this.breaker.onSuccess();
      return result;
    } catch (error) {
      if (!isDatabaseUnavailable(error)) {
        this.breaker.onSuccess();
        throw error;
      }
      this.breaker.onFailure();
      return undefined;
    }
  }
}
