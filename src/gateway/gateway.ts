import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { BudgetLeases } from '../budgets/budgetLeases';
import { settleStored } from '../budgets/settlement';
import type { GatewayConfig } from '../config/gatewayConfig';
import { createPool, type Pool } from '../db/pool';
import type { ProviderConfig } from '../providers/config';
import type { ProviderDirectory } from '../providers/directory';
import { CircuitBoard } from '../routing/circuitBreaker';
import { announceCircuitOpen } from '../routing/circuitNotices';
import { targetKey } from '../routing/fallbackChain';
import { GatewayMetrics } from '../telemetry/gatewayMetrics';
import { RequestLogWriter } from '../telemetry/requestLogWriter';
import { RequestRecorder } from '../telemetry/requestRecorder';
import { GatewayTracing, type TracingOptions } from '../telemetry/tracing';
import { DatabaseGuard } from './databaseGuard';
import { FallbackCaller } from './fallbackCall';
import { GatewayError } from './gatewayError';
import { clusterMetricsSource } from './gatewayCluster';
import { gatewayRoutes } from './gatewayRoutes';
import { listenHttp } from './httpServer';
import { KnownModels } from './knownModels';
import { LiveState } from './liveState';
import { RequestPipeline } from './pipeline';
import { ResponseCache } from './responseCache';
import type { TenantRoute } from './routeTable';
import { ShadowMirror } from './shadowMirror';
import { StreamSlots } from './streamGuard';
import { runTenantRoute } from './tenantCall';

export interface GatewayOptions {
  databaseUrl: string;
  providers: ProviderDirectory;
  providerConfig: ProviderConfig;
  config: GatewayConfig;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  /** Spill files go under here (FLIGHTDECK_HOME). */
  home: string;
  /** One JSON line per request (stdout by default; null for none). */
  jsonLines?: Writable | null;
  /** Export spans to an OTLP collector (from the OTEL_* variables: see gatewayFromEnv). */
  otlp?: TracingOptions['otlp'];
  /** Attach the (PII-redacted) input and output messages to spans, in the GenAI conventions' form. */
  captureMessages?: boolean;
  /** One worker of `flightdeck gateway --workers N`: /metrics answers for all of them. */
  clusterWorker?: boolean;
  spanExporter?: SpanExporter;
  /** Log writer batching, for tests that want rows quickly. */
  flushIntervalMs?: number;
}

export interface RunningGateway {
  url: string;
  port: number;
  state: LiveState;
  log: RequestLogWriter;
  metrics: GatewayMetrics;
  close(): Promise<void>;
}

/** Start a gateway: load routing and tenants, listen for changes, serve HTTP. */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  // Hot-path queries fail fast when Postgres is away instead of queueing behind a dead connection.
  const pool: Pool = createPool(options.databaseUrl, 20, {
    connectionTimeoutMillis: 1000,
    query_timeout: 5000,
    options: '-c synchronous_commit=off',
  });
  const state = new LiveState(pool, options.databaseUrl);
  await state.start().catch(async (error: Error) => {
    await pool.end();
    throw new GatewayError(503, 'api_error', `The gateway cannot load its routing from Postgres: ${error.message}`);
  });
  const circuits = new CircuitBoard({
    failures: options.config.circuit.failures,
    cooldownMs: options.config.circuit.cooldown_ms,
    onOpen: (target) => announceCircuitOpen(pool, target),
  });
  const database = new DatabaseGuard();
  // The metrics read the log's depth only when scraped, after both exist.
  const known = new KnownModels(options.config, state);
  const metrics = new GatewayMetrics({
    logBufferDepth: () => log.depth(),
    circuitStates: () => circuits.states(),
    routeOverrides: () => state.overrides.values(),
    modelLabel: (model) => known.label(model),
  });
  const tracing = new GatewayTracing({
    otlp: options.otlp,
    exporter: options.spanExporter,
    onExportFailure: (spans) => metrics.spanExportFailures.inc(spans),
  });
  const log = new RequestLogWriter({
    pool,
    spillDir: path.join(options.home, 'spill'),
    bodyRetentionDays: options.config.body_retention_days,
    rowRetentionDays: options.config.log_retention_days,
    jsonLines: options.jsonLines === undefined ? process.stdout : (options.jsonLines ?? undefined),
    flushIntervalMs: options.flushIntervalMs,
    maxBuffer: options.config.log_max_buffered_rows,
    onSpill: (count) => metrics.spilled.inc(count),
    onSetAside: (count) => metrics.logSetAside.inc(count),
    withinStore: settleStored,
  });
  const fallback = new FallbackCaller(options.providers, circuits, tracing, (target) =>
    targetKey({ ...target, model: known.label(target.model) }),
  );

  const recorder = new RequestRecorder(log, metrics, tracing, options.captureMessages);

  const shadow = new ShadowMirror({
    fallback,
    tracing,
    providerConfig: options.providerConfig,
    deadlineMs: options.config.deadline_ms,
    attemptTimeoutMs: options.config.attempt_timeout_ms,
    maxInFlight: options.config.max_shadow_in_flight,
    record: (ctx, status, errorClass) => recorder.record(ctx, status, errorClass),
    onSkipped: () => metrics.shadowSkipped.inc(),
  });
  const budgets = new BudgetLeases(pool, {
    offlineShare: options.config.budget_offline_share,
    ttlMs: options.config.budget_lease_ttl_ms,
  });
  const streams = {
    slots: new StreamSlots(options.config.max_streams_per_tenant),
    writeTimeoutMs: options.config.stream_write_timeout_ms,
  };
  const pipeline = new RequestPipeline({
    state,
    providerConfig: options.providerConfig,
    config: options.config,
    fallback,
    cache: new ResponseCache(pool, options.config.cache_purge_interval_ms),
    budgets,
    shadow,
    database,
  });

  const metricsText = options.clusterWorker ? clusterMetricsSource(metrics.registry) : () => metrics.registry.metrics();
  const routes = gatewayRoutes({
    metricsText,
    pool,
    state,
    log,
    metrics,
    pipeline,
    streams,
    known,
    providerConfig: options.providerConfig,
  });
  const runTenant = (route: TenantRoute, params: Record<string, string>, req: IncomingMessage, res: ServerResponse) =>
    runTenantRoute({ state, log, tracing, recorder }, route, params, req, res);
  const host = options.host ?? '127.0.0.1';
  const notFound = (seconds: number) => metrics.observeUnlogged(404, seconds);
  const http = await listenHttp(routes, runTenant, notFound, options.config, options.port, host).catch(
    async (error: unknown) => {
      await Promise.all([log.close(), budgets.close(), state.close(), tracing.shutdown()]).catch(() => undefined);
      await pool.end();
      throw error;
    },
  );
  return {
    url: `http://${host}:${http.port}`,
    port: http.port,
    state,
    log,
    metrics,
    close: async () => {
      await http.close();
      await log.close();
      await budgets.close().catch(() => undefined);
      await state.close();
      await tracing.shutdown();
      await pool.end();
    },
  };
}
