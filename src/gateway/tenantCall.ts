import type { IncomingMessage, ServerResponse } from 'node:http';
import { isDatabaseUnavailable } from '../db/unavailable';
import type { RequestLogWriter } from '../telemetry/requestLogWriter';
import type { RequestRecorder } from '../telemetry/requestRecorder';
import { operatorLog } from '../telemetry/operatorLog';
import type { GatewayTracing } from '../telemetry/tracing';
import type { LiveState } from './liveState';
import { authenticate } from './authenticate';
import { failStream } from './completionEndpoints';
import { GatewayError, sendError } from './gatewayError';
import { readJsonBody } from './httpBody';
import { RequestContext } from './requestContext';
import { decodeParams, type TenantRoute } from './routeTable';

export interface TenantCallDeps {
  state: LiveState;
  log: RequestLogWriter;
  tracing: GatewayTracing;
  recorder: RequestRecorder;
}

/**
 * Run a tenant route: trace, refuse while rows cannot be kept, authenticate, read the body, serve;
 * any failure becomes the error the caller gets, and the call is recorded whatever happened.
 */
export async function runTenantRoute(
  deps: TenantCallDeps,
  route: TenantRoute,
  rawParams: Record<string, string>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { span, context } = deps.tracing.startRequest(req.headers);
  const ctx = new RequestContext(span, context);
  const done = deps.recorder.started();
  res.on('close', () => {
    if (!res.writableFinished) ctx.abort.abort();
  });
  let status = 200;
  let errorClass: string | null = null;
  try {
    if (!deps.log.accepting()) {
      // Neither Postgres nor the disk takes rows: acknowledge nothing we could lose.
      throw new GatewayError(
        503,
        'api_error',
        'The gateway cannot record requests right now (request log full); retry shortly',
        'log_unavailable',
        null,
        { 'retry-after': '5' },
      );
    }
    const tenant = await authenticate(req.headers, deps.state);
    ctx.tenant = tenant;
    const params = decodeParams(rawParams);
    const body = route.body ? await readJsonBody(req) : undefined;
    await route.serve({ req, res, ctx: Object.assign(ctx, { tenant }), params, body });
  } catch (error) {
    const failure = error instanceof GatewayError ? error : databaseOrInternal(error, ctx.requestId);
    status = failure.status;
    errorClass = failure.code ?? failure.type;
    if (res.headersSent) failStream(res, failure);
    else sendError(res, failure, { 'x-flightdeck-request-id': ctx.requestId });
  } finally {
    if (ctx.tenant && route.logRow) deps.recorder.record(ctx, status, errorClass);
    else deps.recorder.finishUnlogged(ctx.span, status, errorClass, ctx.elapsedMs());
    done();
  }
}

/** Postgres being away is a 503 the caller can retry; anything else is our bug. */
function databaseOrInternal(error: unknown, requestId: string): GatewayError {
  if (isDatabaseUnavailable(error)) {
    return new GatewayError(
      503,
      'api_error',
      'The request store is unavailable right now; retry shortly',
      'store_unavailable',
      null,
      { 'retry-after': '2' },
    );
  }
  const message = (error as Error).message ?? String(error);
  return internalError((error as Error).stack ?? message, requestId);
}

/** A bug of ours: the caller gets an id to quote, the operator log gets the detail. */
export function internalError(detail: string, requestId?: string): GatewayError {
  operatorLog('internal_error', { request_id: requestId, detail });
  return new GatewayError(
    500,
    'api_error',
    `Internal error${requestId ? ` (request ${requestId})` : ''}; the operator log has the detail`,
    'internal_error',
  );
}
