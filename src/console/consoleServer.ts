import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pool } from '../db/pool';
import { loadConsoleData, type ConsoleData, type RolloutStage } from './consoleData';
import { renderConsolePage, type PageLinks } from './consolePage';

export interface ConsoleOptions {
  pool: Pool;
  /** The operator key: `Authorization: Bearer <key>`, or once through /login?key=… (then a cookie). */
  key: string;
  port: number;
  host: string;
  links: PageLinks;
  stages: () => Promise<RolloutStage[]>;
}

export interface RunningConsole {
  url: string;
  loginUrl: string;
  close(): Promise<void>;
}

const COOKIE = 'flightdeck_console';
const DEFAULT_DAYS = 28;
/** Pages within this share one read, so many open tabs do not multiply the queries. */
const CACHE_MS = 5000;

const HEADERS = {
  // Everything is inline and local: no script at all, no request anywhere else.
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, { ...HEADERS, 'content-type': `${type}; charset=utf-8`, ...extra });
  res.end(body);
}

const sameSecret = (a: string, b: string) => {
  // Compare digests of equal length in constant time; the lengths of the inputs leak nothing.
  const digest = (s: string) => createHmac('sha256', 'flightdeck-console').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
};

/** The read-only console: one page of charts and tables, and the same data as JSON. */
export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  // The cookie holds a derivative of the key, not the key: a leaked cookie does not reveal it.
  const session = createHmac('sha256', options.key).update('console-session').digest('base64url');
  const cache = new Map<number, { at: number; data: Promise<ConsoleData> }>();
  const dataFor = (days: number) => {
    const hit = cache.get(days);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.data;
    const data = loadConsoleData(options.pool, { days, stages: options.stages });
    cache.set(days, { at: Date.now(), data });
    data.catch(() => cache.delete(days));
    return data;
  };

  const authorised = (req: IncomingMessage) => {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (bearer) return sameSecret(bearer, options.key);
    const cookie = (req.headers.cookie ?? '')
      .split(';')
      .map((c) => c.trim().split('='))
      .find(([name]) => name === COOKIE)?.[1];
    return cookie !== undefined && sameSecret(cookie, session);
  };

  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://console');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'text/plain', 'The console is read-only: GET only.\n', { allow: 'GET, HEAD' });
    if (url.pathname === '/healthz') return send(res, 200, 'text/plain', 'ok\n');
    if (url.pathname === '/login') {
      const key = url.searchParams.get('key') ?? '';
      if (!key || !sameSecret(key, options.key))
        return send(res, 401, 'text/plain', 'Wrong or missing key: open the link `flightdeck console` printed.\n');
      // Redirect, so the key leaves the address bar and the history.
      return send(res, 303, 'text/plain', 'Signed in.\n', {
        location: '/',
        'set-cookie': `${COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200`,
      });
    }
    if (url.pathname !== '/' && url.pathname !== '/api/console.json')
      return send(res, 404, 'text/plain', `No page ${url.pathname.slice(0, 100)}; the console is at /.\n`);
    if (!authorised(req))
      return send(
        res,
        401,
        'text/plain',
        'This console needs the operator key: open the /login?key=… link `flightdeck console` printed, or send Authorization: Bearer <key>.\n',
        { 'www-authenticate': 'Bearer realm="flightdeck console"' },
      );
    const daysText = url.searchParams.get('days') ?? String(DEFAULT_DAYS);
    const days = /^\d{1,2}$/.test(daysText) ? Number(daysText) : NaN;
    if (!(days >= 1 && days <= 90))
      return send(
        res,
        400,
        'text/plain',
        `days must be a whole number from 1 to 90 (got "${daysText.slice(0, 20)}").\n`,
      );
    const data = await dataFor(days);
    if (url.pathname === '/api/console.json') return send(res, 200, 'application/json', JSON.stringify(data));
    return send(res, 200, 'text/html', renderConsolePage(data, options.links));
  };

  const server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        send(
          res,
          503,
          'text/plain',
          `The console could not read its data: ${(error as Error).message.split('\n')[0]}\n`,
        );
      else res.destroy();
    });
  });
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${host}:${port}`;
  return {
    url,
    loginUrl: `${url}/login?key=${encodeURIComponent(options.key)}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
