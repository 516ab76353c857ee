import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Tenant } from '../tenants/tenantStore';
import { badRequest } from './gatewayError';
import type { RequestContext } from './requestContext';

/** A call to an endpoint that acts for a tenant: authenticated, traced, its body read and bounded. */
export interface TenantCall {
  req: IncomingMessage;
  res: ServerResponse;
  ctx: RequestContext & { tenant: Tenant };
  /** The path template's `:name` segments, percent-decoded. */
  params: Record<string, string>;
  body: unknown;
}

interface RouteBase {
  method: 'GET' | 'POST';
  /** A literal path, or a template whose `:name` segments become params. */
  path: string;
}

/** Health, readiness, metrics: no tenant, no trace, no log row. */
export interface OpenRoute extends RouteBase {
  tenant: false;
  serve(req: IncomingMessage, res: ServerResponse): void | Promise<void>;
}

export interface TenantRoute extends RouteBase {
  tenant: true;
  /** Completion endpoints keep one log row per authenticated call; lookups and feedback keep none. */
  logRow: boolean;
  /** A JSON body is read (and bounded) before the handler runs. */
  body: boolean;
  serve(call: TenantCall): Promise<void>;
}

export type Route = OpenRoute | TenantRoute;

export interface CompiledRoute {
  route: Route;
  matches(pathname: string): Record<string, string> | undefined;
}

/** Static paths compare as strings (the hot path); templates compile once to a regex. Params come raw. */
export function compileRoutes(routes: readonly Route[]): CompiledRoute[] {
  return routes.map((route) => {
    const names = [...route.path.matchAll(/:([A-Za-z]+)/g)].map((match) => match[1]!);
    if (names.length === 0) return { route, matches: (pathname) => (pathname === route.path ? {} : undefined) };
    const pattern = new RegExp(`^${route.path.replace(/:[A-Za-z]+/g, '([^/]+)')}$`);
    return {
      route,
      matches: (pathname) => {
        const found = pattern.exec(pathname);
        if (!found) return undefined;
        return Object.fromEntries(names.map((name, i) => [name, found[i + 1]!]));
      },
    };
  });
}

export function findRoute(
  routes: readonly CompiledRoute[],
  method: string,
  pathname: string,
): { route: Route; params: Record<string, string> } | undefined {
  for (const compiled of routes) {
    if (compiled.route.method !== method) continue;
    const params = compiled.matches(pathname);
    if (params) return { route: compiled.route, params };
  }
  return undefined;
}

/** Percent-decode matched segments; done by the call (after authentication), so a stranger learns nothing. */
export function decodeParams(raw: Record<string, string>): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    try {
      decoded[name] = decodeURIComponent(value);
    } catch {
      throw badRequest(`The path segment "${value}" is not valid percent-encoding`);
    }
  }
  return decoded;
}
