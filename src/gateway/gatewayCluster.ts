import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

/**
 * `flightdeck gateway --workers N`: N processes serve the same port (Node's cluster hands each
 * connection to one). What they share already lives in Postgres (routes, tenants, budget leases,
 * the request log) and reaches every worker by LISTEN/NOTIFY; `/metrics` asks the primary, which
 * sums every worker's registry, so a scrape sees the whole gateway whichever worker answers.
 */

const METRICS_REQUEST = 'flightdeck:cluster-metrics';
const METRICS_REPLY = 'flightdeck:cluster-metrics-reply';

interface MetricsRequest {
  type: typeof METRICS_REQUEST;
  id: number;
}
interface MetricsReply {
  type: typeof METRICS_REPLY;
  id: number;
  text?: string;
  error?: string;
}

export interface GatewayWorkers {
  /** Resolves once every worker listens. */
  ready: Promise<void>;
  /** Stop every worker (they finish their requests) and stop replacing them. */
  stop(): Promise<void>;
}

/** In the primary: fork `count` workers running this same command, replace one that dies, serve metrics. */
export function forkGatewayWorkers(count: number, env: NodeJS.ProcessEnv, log: (line: string) => void): GatewayWorkers {
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  const fork = (): Worker => {
    const worker = cluster.fork(env);
    worker.on('message', (message: MetricsRequest) => {
      if (message?.type !== METRICS_REQUEST) return;
      aggregator.clusterMetrics().then(
        (text) => worker.send({ type: METRICS_REPLY, id: message.id, text } satisfies MetricsReply),
        (error: Error) =>
          worker.send({ type: METRICS_REPLY, id: message.id, error: error.message } satisfies MetricsReply),
      );
    });
    return worker;
  };
  // Ctrl-C reaches the workers too: they stop cleanly (exit 0), and none is replaced.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => (stopping = true));
  const listened = new Set<number>();
  const ready = new Promise<void>((resolve, reject) => {
    cluster.on('listening', (worker) => {
      listened.add(worker.id);
      if (listened.size === count) resolve();
    });
    cluster.on('exit', (worker, code, signal) => {
      if (stopping || code === 0) return;
      if (!listened.has(worker.id)) {
        // It never served (a taken port, a bad setting): another would fail the same way.
        stopping = true;
        reject(
          new Error(
            `gateway worker ${worker.process.pid} exited (${signal ?? code}) before it listened; its error is above`,
          ),
        );
        return;
      }
      log(`Gateway worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
      fork();
    });
  });
  for (let i = 0; i < count; i++) fork();
  return {
    ready,
    stop: async () => {
      stopping = true;
      const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve) => {
              worker.once('exit', () => resolve());
              worker.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}

export const isGatewayWorker = () => cluster.isWorker;

/** In a worker: answer the primary's requests for this registry, and get the whole gateway's metrics from it. */
export function clusterMetricsSource(registry: Registry): () => Promise<string> {
  AggregatorRegistry.setRegistries([registry]);
  new AggregatorRegistry(); // installs the worker's listener for the primary's requests
  let next = 0;
  const pending = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void }>();
  process.on('message', (message: MetricsReply) => {
    if (message?.type !== METRICS_REPLY) return;
    const waiting = pending.get(message.id);
    pending.delete(message.id);
    if (message.text !== undefined) waiting?.resolve(message.text);
    else waiting?.reject(new Error(`cluster metrics: ${message.error ?? 'no answer'}`));
  });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = ++next;
      pending.set(id, { resolve, reject });
      process.send!({ type: METRICS_REQUEST, id } satisfies MetricsRequest);
    });
}
