import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

let installed = false;

/**
 * Install the SDK runtime once per process with a quieter logger: worker state changes at INFO
 * would drown the CLI's own output. Must run before the first worker connection is made.
 */
export function installWorkerRuntime(level: LogLevel = 'WARN'): void {
  if (installed) return;
  Runtime.install({ logger: new DefaultLogger(level) });
  installed = true;
}
