import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

let installed = false;

/**
 * Install the SDK runtime once per process, before the first worker connection: with a quieter
 * logger (worker state changes at INFO would drown the CLI's output), and without the SDK's own
 * SIGINT/SIGTERM handlers, because our commands stop their workers themselves, in order.
 */
export function installWorkerRuntime(level: LogLevel = 'WARN'): void {
  if (installed) return;
  Runtime.install({ logger: new DefaultLogger(level), shutdownSignals: [] });
  installed = true;
}
