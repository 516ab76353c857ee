/**
 * A value made on first use and kept. The CLI loads heavy modules (the Temporal SDK, the gateway,
 * provider SDKs) this way, so `--help` and registry commands stay fast:
 *
 *   const temporal = lazy(() => require('../../temporal/connection') as typeof import('../../temporal/connection'));
 *
 * (`await import()` would be typed without the cast, but under `tsx/cjs` it leaves for Node's ESM
 * loader, which cannot load our TypeScript.)
 */
export function lazy<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}
