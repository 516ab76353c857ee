import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { BudgetLeases } from '../budgets/budgetLeases';
import type { GatewayConfig } from '../config/gatewayConfig';
import { createPool, type Pool } from '../db/pool';
import { isDatabaseUnavailable } from '../db/unavailable';
import { FlightdeckError } from '../errors';
import type { ProviderConfig } from '../providers/config';
import type { ProviderDirectory } from '../providers/directory';
import { CircuitBoard } from '../routing/circuitBreaker';
import { targetKey } from '../routing/fallbackChain';
import { GatewayMetrics } from '../telemetry/gatewayMetrics';
import { RequestLogWriter } from '../telemetry/requestLogWriter';
import { operatorLog } from '../telemetry/operatorLog';
import { endSpan, GatewayTracing } from '../telemetry/tracing';
import { authenticate } from './authenticate';
import { chatCompletions, failStream, runPrompt } from './completionEndpoints';
import { DatabaseGuard } from './databaseGuard';
import { FallbackCaller } from './fallbackCall';
import { GatewayError, badRequest, sendError, sendJson } from './gatewayError';
import { readJsonBody } from './httpBody';
import { KnownModels } from './knownModels';
import { LiveState } from './liveState';
import { RequestPipeline } from './pipeline';
import { RequestContext } from './requestContext';
import { getRequest, recordFeedback } from './requestsApi';
import { ResponseCache } from './responseCache';
import { ShadowMirror } from './shadowMirror';
import { StreamSlots } from './streamGuard';

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
  otlpEndpoint?: string;
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

const PROMPT_RUN = /^\/v1\/prompts\/([^/]+)\/run$/;
const REQUEST_GET = /^\/v1\/requests\/([^/]+)$/;

/** Start a gateway: load routing and tenants, listen for changes, serve HTTP. */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  // Hot-path queries fail fast when Postgres is away instead of queueing behind a dead connection.
  const pool: Pool = createPool(options.databaseUrl, 20, { connectionTimeoutMillis: 1000, query_timeout: 5000, options: '-c synchronous_commit=off' });
  const state = new LiveState(pool, options.databaseUrl);
  await state.start().catch(async (error: Error) => {
    await pool.end();
    throw new GatewayError(503, 'api_error', `The gateway cannot load its routing from Postgres: ${error.message}`);
  });
  const circuits = new CircuitBoard({ failures: options.config.circuit.failures, cooldownMs: options.config.circuit.cooldown_ms });
  const database = new DatabaseGuard();
  const tracing = new GatewayTracing({ otlpEndpoint: options.otlpEndpoint, exporter: options.spanExporter });
  // The metrics read the log's depth only when scraped, after both exist.
  const known = new KnownModels(options.config, state);
  const metrics = new GatewayMetrics({ logBufferDepth: () => log.depth(), circuitStates: () => circuits.states(), modelLabel: (model) => known.label(model) });
  const log = new RequestLogWriter({
    pool,
    spillDir: path.join(options.home, 'spill'),
    bodyRetentionDays: options.config.body_retention_days,
    jsonLines: options.jsonLines === undefined ? process.stdout : (options.jsonLines ?? undefined),
    flushIntervalMs: options.flushIntervalMs,
    maxBuffer: options.config.log_max_buffered_rows,
    onSpill: (count) => metrics.spilled.inc(count),
    onSetAside: (count) => metrics.logSetAside.inc(count),
  });
  const fallback = new FallbackCaller(options.providers, circuits, tracing, (target) => targetKey({ ...target, model: known.label(target.model) }));

  const record = (ctx: RequestContext, status: number, errorClass: string | null) => {
    const entry = ctx.toLogEntry(status, errorClass);
    log.write(entry);
    metrics.observe(entry.record);
    ctx.span.updateName(`chat ${ctx.model ?? ''}`.trim());
    ctx.span.setAttributes({
      'gen_ai.provider.name': ctx.provider ?? '',
      'gen_ai.request.model': ctx.model ?? '',
      'gen_ai.usage.input_tokens': ctx.usage.inputTokens,
      'gen_ai.usage.output_tokens': ctx.usage.outputTokens,
      'flightdeck.request_id': ctx.requestId,
      'flightdeck.prompt.name': ctx.promptName ?? '',
      'flightdeck.prompt.version': ctx.promptVersion ?? '',
      'flightdeck.variant': ctx.variant ?? '',
      'flightdeck.tenant.id': ctx.tenant?.id ?? '',
      'flightdeck.cost_usd': ctx.costUsd,
      'flightdeck.fallback_used': ctx.fallbackUsed,
      'flightdeck.cache_hit': ctx.cacheHit,
      'http.response.status_code': status,
    });
    for (const guard of ctx.guardrails) {
      tracing.child(ctx.traceContext, `guardrail ${guard.id}`, { 'flightdeck.guardrail.id': guard.id, 'flightdeck.guardrail.decision': guard.decision, 'flightdeck.guardrail.ms': guard.ms }).end();
    }
    endSpan(ctx.span, status >= 400 ? (errorClass ?? String(status)) : undefined);
  };

  const shadow = new ShadowMirror({
    fallback,
    tracing,
    providerConfig: options.providerConfig,
    deadlineMs: options.config.deadline_ms,
    attemptTimeoutMs: options.config.attempt_timeout_ms,
    maxInFlight: options.config.max_shadow_in_flight,
    record,
    onSkipped: () => metrics.shadowSkipped.inc(),
  });
  const budgets = new BudgetLeases(pool, { offlineShare: options.config.budget_offline_share, ttlMs: options.config.budget_lease_ttl_ms });
  const streams = { slots: new StreamSlots(options.config.max_streams_per_tenant), writeTimeoutMs: options.config.stream_write_timeout_ms };
  const pipeline = new RequestPipeline({ state, providerConfig: options.providerConfig, config: options.config, fallback, cache: new ResponseCache(pool, options.config.cache_purge_interval_ms), budgets, shadow, database });

  /** Endpoints that act for a tenant: authenticate, then run; every authenticated call of the completion endpoints gets a log row. */
  async function tenantCall(req: IncomingMessage, res: ServerResponse, route: string, match: RegExpExecArray | null): Promise<void> {
    const { span, context } = tracing.startRequest(req.headers);
    const ctx = new RequestContext(span, context);
    res.on('close', () => {
      if (!res.writableFinished) ctx.abort.abort();
    });
    let status = 200;
    let errorClass: string | null = null;
    try {
      if (!log.accepting()) {
        // Neither Postgres nor the disk takes rows: acknowledge nothing we could lose.
        throw new GatewayError(503, 'api_error', 'The gateway cannot record requests right now (request log full); retry shortly', 'log_unavailable', null, { 'retry-after': '5' });
      }
      ctx.tenant = await authenticate(req.headers, state);
      const body = route === 'GET request' ? undefined : await readJsonBody(req);
      if (route === 'chat') await chatCompletions(pipeline, ctx, req, res, body, streams);
      else if (route === 'run') await runPrompt(pipeline, ctx, req, res, pathPart(match![1]!), body);
      else if (route === 'feedback') sendJson(res, 201, await recordFeedback(pool, log, ctx.tenant, body));
      else sendJson(res, 200, await getRequest(pool, log, ctx.tenant, pathPart(match![1]!)));
    } catch (error) {
      const failure = error instanceof GatewayError ? error : databaseOrInternal(error, ctx.requestId);
      status = failure.status;
      errorClass = failure.code ?? failure.type;
      if (res.headersSent) failStream(res, failure);
      else sendError(res, failure, { 'x-flightdeck-request-id': ctx.requestId });
    } finally {
      if (ctx.tenant && (route === 'chat' || route === 'run')) record(ctx, status, errorClass);
      else {
        if (!ctx.tenant) metrics.observeRefused(status);
        endSpan(ctx.span, status >= 400 ? (errorClass ?? undefined) : undefined);
      }
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const pathname = url.split('?', 1)[0]!;
    const method = req.method ?? 'GET';
    if (method === 'GET' && pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (method === 'GET' && pathname === '/readyz') {
      return sendJson(res, 200, { status: state.degraded ? 'degraded' : 'ready', prompts: state.routes.size, logBufferDepth: log.depth() });
    }
    if (method === 'GET' && pathname === '/metrics') {
      const text = await metrics.registry.metrics();
      res.writeHead(200, { 'content-type': metrics.registry.contentType });
      res.end(text);
      return;
    }
    const run = PROMPT_RUN.exec(pathname);
    const lookup = REQUEST_GET.exec(pathname);
    if (method === 'POST' && pathname === '/v1/chat/completions') return tenantCall(req, res, 'chat', null);
    if (method === 'POST' && run) return tenantCall(req, res, 'run', run);
    if (method === 'POST' && pathname === '/v1/feedback') return tenantCall(req, res, 'feedback', null);
    if (method === 'GET' && lookup) return tenantCall(req, res, 'GET request', lookup);
    sendError(res, new GatewayError(404, 'not_found_error', `No endpoint ${method} ${pathname}; see the README's gateway section for the API`, 'unknown_endpoint'));
  }

  const checkEveryMs = Math.max(100, Math.min(1000, options.config.headers_timeout_ms / 2));
  const server: Server = createServer({ connectionsCheckingInterval: checkEveryMs }, (req, res) => {
    req.socket.setTimeout(0); // it sent a request: from here keepAliveTimeout and the deadlines apply
    handle(req, res).catch((error: Error) => {
      if (!res.headersSent) sendError(res, internalError(error.stack ?? error.message));
      else res.end();
    });
  });
  server.keepAliveTimeout = 65_000;
  // Slow or silent clients must not hold sockets: headers and body have deadlines, sockets a cap.
  server.headersTimeout = options.config.headers_timeout_ms;
  server.requestTimeout = options.config.request_timeout_ms;
  server.maxConnections = options.config.max_connections;
  // headersTimeout starts only with the first byte: a socket that never sends one is closed here.
  server.on('connection', (socket) => socket.setTimeout(options.config.headers_timeout_ms));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new FlightdeckError(`Port ${options.port} is in use (another gateway?); stop it or set FLIGHTDECK_GATEWAY_PORT / --port`) : error);
    });
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  }).catch(async (error: unknown) => {
    await Promise.all([log.close(), budgets.close(), state.close(), tracing.shutdown()]).catch(() => undefined);
    await pool.end();
    throw error;
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    state,
    log,
    metrics: metrics,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Streams still open after a grace period are cut: shutdown must not wait on a slow client.
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      });
      await log.close();
      await budgets.close().catch(() => undefined);
      await state.close();
      await tracing.shutdown();
      await pool.end();
    },
  };
}

function pathPart(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw badRequest(`The path segment "${raw}" is not valid percent-encoding`);
  }
}

/** Postgres being away is a 503 the caller can retry; anything else is our bug. */
function databaseOrInternal(error: unknown, requestId: string): GatewayError {
  const message = (error as Error).message ?? String(error);
  if (isDatabaseUnavailable(error)) {
    return new GatewayError(503, 'api_error', 'The request store is unavailable right now; retry shortly', 'store_unavailable', null, { 'retry-after': '2' });
  }
  return internalError((error as Error).stack ?? message, requestId);
}

/** A bug of ours: the caller gets an id to quote, the operator log gets the detail. */
function internalError(detail: string, requestId?: string): GatewayError {
  operatorLog('internal_error', { request_id: requestId, detail });
  return new GatewayError(500, 'api_error', `Internal error${requestId ? ` (request ${requestId})` : ''}; the operator log has the detail`, 'internal_error');
}
