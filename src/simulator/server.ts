import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { messages, sendAnthropicError } from './anthropicApi';
import { SimulatorEngine } from './engine';
import { faultRequestSchema } from './faults';
import { sendJson } from '../util/sendJson';
import { HttpError, readJson } from './http';
import { chatCompletions, embeddings, sendOpenAIError } from './openaiApi';
import { profileSchema } from './profiles';
import { anthropicUsage, openaiCosts, openaiUsage } from './usageApi';

export interface SimulatorOptions {
  port?: number;
  host?: string;
  seed?: number;
  /** When set, /admin/* needs `Authorization: Bearer <token>` (profiles and faults change what every caller gets). */
  adminToken?: string;
}

export interface RunningSimulator {
  url: string;
  port: number;
  engine: SimulatorEngine;
  close(): Promise<void>;
}

type Api = 'openai' | 'anthropic' | 'admin';

function apiOf(path: string): Api {
  if (path === '/v1/messages' || path.startsWith('/v1/organizations/')) return 'anthropic';
  if (path.startsWith('/admin/')) return 'admin';
  return 'openai';
}

function sendError(res: ServerResponse, api: Api, status: number, message: string): void {
  if (api === 'anthropic') {
    const type =
      status === 401
        ? 'authentication_error'
        : status === 404
          ? 'not_found_error'
          : status === 413
            ? 'request_too_large'
            : 'invalid_request_error';
    sendAnthropicError(res, status, type, message);
  } else if (api === 'openai') {
    sendOpenAIError(res, status, message, 'invalid_request_error', status === 401 ? 'invalid_api_key' : null);
  } else {
    sendJson(res, status, { error: message });
  }
}

function hasKey(req: IncomingMessage, api: Api): boolean {
  if (api === 'anthropic') return Boolean(req.headers['x-api-key'] || req.headers.authorization);
  return /^Bearer \S+/.test(req.headers.authorization ?? '');
}

function validated<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success)
    throw new HttpError(400, parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return parsed.data;
}

async function route(
  engine: SimulatorEngine,
  req: IncomingMessage,
  res: ServerResponse,
  adminToken: string | undefined,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://simulator');
  const path = url.pathname;
  const api = apiOf(path);
  const method = req.method ?? 'GET';
  try {
    if (path === '/healthz') return sendJson(res, 200, { ok: true });
    if (api === 'admin' && adminToken !== undefined && req.headers.authorization !== `Bearer ${adminToken}`) {
      return sendError(res, api, 401, 'The admin API needs `Authorization: Bearer <FLIGHTDECK_SIMULATOR_ADMIN_TOKEN>`');
    }
    if (api !== 'admin' && !hasKey(req, api)) {
      return sendError(
        res,
        api,
        401,
        api === 'anthropic' ? 'x-api-key header is required' : "You didn't provide an API key.",
      );
    }
    const profileMatch = /^\/admin\/profiles\/(.+)$/.exec(path);
    switch (`${method} ${profileMatch ? '/admin/profiles/:model' : path}`) {
      case 'POST /v1/chat/completions':
        return await chatCompletions(engine, await readJson(req), res);
      case 'POST /v1/embeddings':
        return await embeddings(engine, await readJson(req), res);
      case 'POST /v1/messages':
        return await messages(engine, await readJson(req), res);
      case 'GET /v1/organization/usage/completions':
        return sendJson(res, 200, openaiUsage(engine.usage, url));
      case 'GET /v1/organization/costs':
        return sendJson(res, 200, openaiCosts(engine.usage, url));
      case 'GET /v1/organizations/usage_report/messages':
        return sendJson(res, 200, anthropicUsage(engine.usage, url));
      case 'GET /admin/profiles':
        return sendJson(res, 200, engine.profiles.all());
      case 'PUT /admin/profiles/:model': {
        const model = decodeURIComponent(profileMatch![1]!);
        return sendJson(res, 200, {
          model,
          profile: engine.profiles.set(model, validated(profileSchema, await readJson(req))),
        });
      }
      case 'DELETE /admin/profiles/:model':
        return sendJson(res, 200, { deleted: engine.profiles.delete(decodeURIComponent(profileMatch![1]!)) });
      case 'GET /admin/faults':
        return sendJson(res, 200, engine.faults.list());
      case 'POST /admin/faults':
        engine.faults.inject(validated(faultRequestSchema, await readJson(req)));
        return sendJson(res, 200, engine.faults.list());
      case 'DELETE /admin/faults':
        engine.faults.clear();
        return sendJson(res, 200, []);
      case 'GET /admin/stats':
        return sendJson(res, 200, engine.stats);
      case 'GET /admin/requests':
        return sendJson(res, 200, engine.recent);
      case 'POST /admin/reset':
        engine.reset();
        return sendJson(res, 200, { ok: true });
      default:
        return sendError(res, api, 404, `No route for ${method} ${path}`);
    }
  } catch (error) {
    if (res.headersSent) return void res.destroy();
    if (error instanceof HttpError) return sendError(res, api, error.status, error.message);
    return sendError(res, api, 500, (error as Error).message);
  }
}

/** Start the simulator: a real HTTP server speaking the OpenAI and Anthropic APIs. Port 0 picks a free one. */
export async function startSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  const engine = new SimulatorEngine(options.seed);
  const server: Server = createServer((req, res) => void route(engine, req, res, options.adminToken));
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    engine,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections(); // hung requests would otherwise hold close() forever
        server.close(() => resolve());
      }),
  };
}
