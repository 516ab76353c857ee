import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GatewayConfig } from '../config/gatewayConfig';
import { FlightdeckError } from '../errors';
import { GatewayError, sendError } from './gatewayError';
import { compileRoutes, findRoute, type Route, type TenantRoute } from './routeTable';
import { internalError } from './tenantCall';

export interface HttpShell {
  port: number;
  /** Stop accepting, let calls finish (streams get a grace period), then resolve. */
  close(): Promise<void>;
}

type Limits = Pick<GatewayConfig, 'headers_timeout_ms' | 'request_timeout_ms' | 'max_connections'>;

/**
 * The gateway's HTTP server: dispatch by the route table, deadlines for slow or silent clients, a
 * socket cap, a clear message when the port is taken.
 */
export async function listenHttp(
  routes: readonly Route[],
  runTenant: (
    route: TenantRoute,
    params: Record<string, string>,
    req: IncomingMessage,
    res: ServerResponse,
  ) => Promise<void>,
  /** Counts a call to an endpoint that does not exist (it gets no route, but a metric). */
  onNotFound: (seconds: number) => void,
  limits: Limits,
  port: number,
  host: string,
): Promise<HttpShell> {
  const table = compileRoutes(routes);
  const dispatch = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const pathname = (req.url ?? '/').split('?', 1)[0]!;
    const found = findRoute(table, method, pathname);
    if (!found) {
      const started = performance.now();
      res.once('finish', () => onNotFound((performance.now() - started) / 1000));
      return sendError(
        res,
        new GatewayError(
          404,
          'not_found_error',
          `No endpoint ${method} ${pathname}; see the README's gateway section for the API`,
          'unknown_endpoint',
        ),
      );
    }
    const { route, params } = found;
    return route.tenant ? runTenant(route, params, req, res) : route.serve(req, res);
  };

  const server = createServer(
    { connectionsCheckingInterval: Math.max(100, Math.min(1000, limits.headers_timeout_ms / 2)) },
    (req, res) => {
      req.socket.setTimeout(0); // it sent a request: from here keepAliveTimeout and the deadlines apply
      dispatch(req, res).catch((error: Error) => {
        if (!res.headersSent) sendError(res, internalError(error.stack ?? error.message));
        else res.end();
      });
    },
  );
  server.keepAliveTimeout = 65_000;
  // Slow or silent clients must not hold sockets: headers and body have deadlines, sockets a cap.
  server.headersTimeout = limits.headers_timeout_ms;
  server.requestTimeout = limits.request_timeout_ms;
  server.maxConnections = limits.max_connections;
  // headersTimeout starts only with the first byte: a socket that never sends one is closed here.
  server.on('connection', (socket) => socket.setTimeout(limits.headers_timeout_ms));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new FlightdeckError(
              `Port ${port} is in use (another gateway?); stop it or set FLIGHTDECK_GATEWAY_PORT / --port`,
            )
          : error,
      );
    });
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Streams still open after a grace period are cut: shutdown must not wait on a slow client.
        setTimeout(() => server.closeAllConnections(), 2000).unref();
      }),
  };
}
