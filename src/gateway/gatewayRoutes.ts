import type { Pool } from '../db/pool';
import type { Tenant } from '../tenants/tenantStore';
import type { ProviderConfig } from '../providers/config';
import type { GatewayMetrics } from '../telemetry/gatewayMetrics';
import type { RequestLogWriter } from '../telemetry/requestLogWriter';
import { chatCompletions, runPrompt, type StreamPolicy } from './completionEndpoints';
import { sendJson } from '../util/sendJson';
import type { KnownModels } from './knownModels';
import type { LiveState } from './liveState';
import { modelFor, modelsFor } from './modelList';
import type { RequestPipeline } from './pipeline';
import { appealBlock } from './guardrailAppeals';
import { getRequest, recordFeedback } from './requestsApi';
import type { Route } from './routeTable';

export interface RouteDeps {
  pool: Pool;
  state: LiveState;
  log: RequestLogWriter;
  metrics: GatewayMetrics;
  pipeline: RequestPipeline;
  streams: StreamPolicy;
  known: KnownModels;
  /** The exposition /metrics serves: this process's registry, or every worker's. */
  metricsText: () => Promise<string>;
  providerConfig: ProviderConfig;
}

/** Every endpoint of the gateway, in one table (the README's gateway section lists the same). */
export function gatewayRoutes({
  metricsText,
  pool,
  state,
  log,
  metrics,
  pipeline,
  streams,
  known,
  providerConfig,
}: RouteDeps): Route[] {
  const models = (tenant: Tenant) => modelsFor(tenant, known, state, providerConfig);
  return [
    {
      method: 'POST',
      path: '/v1/chat/completions',
      tenant: true,
      logRow: true,
      body: true,
      serve: ({ ctx, req, res, body }) => chatCompletions(pipeline, ctx, req, res, body, streams),
    },
    {
      method: 'POST',
      path: '/v1/prompts/:name/run',
      tenant: true,
      logRow: true,
      body: true,
      serve: ({ ctx, req, res, params, body }) => runPrompt(pipeline, ctx, req, res, params.name, body),
    },
    {
      method: 'POST',
      path: '/v1/feedback',
      tenant: true,
      logRow: false,
      body: true,
      serve: async ({ ctx, res, body }) => sendJson(res, 201, await recordFeedback(pool, log, ctx.tenant, body)),
    },
    {
      method: 'POST',
      path: '/v1/guardrails/appeals',
      tenant: true,
      logRow: false,
      body: true,
      serve: async ({ ctx, res, body }) => {
        const appeal = await appealBlock(pool, log, ctx.tenant, body);
        sendJson(res, appeal.created ? 201 : 200, appeal);
      },
    },
    {
      method: 'GET',
      path: '/v1/requests/:id',
      tenant: true,
      logRow: false,
      body: false,
      serve: async ({ ctx, res, params }) => sendJson(res, 200, await getRequest(pool, log, ctx.tenant, params.id)),
    },
    {
      method: 'GET',
      path: '/v1/models',
      tenant: true,
      logRow: false,
      body: false,
      serve: async ({ ctx, res }) => sendJson(res, 200, { object: 'list', data: models(ctx.tenant) }),
    },
    {
      method: 'GET',
      path: '/v1/models/:id',
      tenant: true,
      logRow: false,
      body: false,
      serve: async ({ ctx, res, params }) => sendJson(res, 200, modelFor(params.id, models(ctx.tenant))),
    },
    { method: 'GET', path: '/healthz', tenant: false, serve: (_req, res) => sendJson(res, 200, { status: 'ok' }) },
    {
      method: 'GET',
      path: '/readyz',
      tenant: false,
      serve: (_req, res) =>
        sendJson(res, 200, {
          status: state.degraded ? 'degraded' : 'ready',
          prompts: state.routes.size,
          logBufferDepth: log.depth(),
          routeOverrides: [...state.overrides.values()].map((o) => ({
            model: o.model,
            ...(o.tenant ? { tenant: o.tenant } : {}),
            backup: o.backup,
            since: o.createdAt,
            incident: o.incident,
          })),
          outputCaps: [...state.caps.values()].map((c) => ({
            model: c.model,
            maxTokens: c.maxTokens,
            incident: c.incident,
          })),
        }),
    },
    {
      method: 'GET',
      path: '/metrics',
      tenant: false,
      serve: async (_req, res) => {
        const text = await metricsText();
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(text);
      },
    },
  ];
}
