import { TestWorkflowEnvironment } from '@temporalio/testing';
import { FLIGHTDECK_SEARCH_ATTRIBUTES } from '../model/searchAttributes';
import { withTemporalTool, type FoundTool } from './binaries';

export interface DevServerOptions {
  port: number;
  /** 0 or undefined: no Web UI. */
  uiPort?: number;
  /** Persist workflow state here between runs; in memory when undefined. */
  dbFilename?: string;
  namespace?: string;
}

export interface RunningDevServer {
  address: string;
  uiUrl?: string;
  stop(): Promise<void>;
}

/** Start `temporal server start-dev` (through the SDK's ephemeral-server API) with our search attributes. */
export async function startDevServer(cli: FoundTool, options: DevServerOptions): Promise<RunningDevServer> {
  const env = await withTemporalTool(cli, (executable) =>
    TestWorkflowEnvironment.createLocal({
      server: {
        executable,
        ip: '127.0.0.1',
        port: options.port,
        namespace: options.namespace ?? 'default',
        ui: Boolean(options.uiPort),
        uiPort: options.uiPort || undefined,
        dbFilename: options.dbFilename,
        searchAttributes: FLIGHTDECK_SEARCH_ATTRIBUTES,
        log: { format: 'pretty', level: 'warn' },
      },
    }),
  );
  return {
    address: `127.0.0.1:${options.port}`,
    uiUrl: options.uiPort ? `http://127.0.0.1:${options.uiPort}` : undefined,
    stop: () => env.teardown(),
  };
}
