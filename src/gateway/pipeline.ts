import { estimateCostUsd, estimateTokens } from '../budgets/estimate';
import { isRefusal, type BudgetLeases } from '../budgets/budgetLeases';
import type { GatewayConfig } from '../config/gatewayConfig';
import { FlightdeckError } from '../errors';
import { checkInput } from '../guardrails/inputGuards';
import { checkOutput } from '../guardrails/outputGuards';
import type { ProviderConfig } from '../providers/config';
import { cost } from '../providers/pricing';
import type { ChatMessage, Completion, CompletionRequest } from '../providers/types';
import type { PromptSpec } from '../registry/promptFile';
import { renderPrompt } from '../registry/render';
import { costRoutedModel } from '../routing/costRouting';
import { fallbackChain } from '../routing/fallbackChain';
import { chooseVariant, type PromptRoute } from '../routing/routingTable';
import type { DatabaseGuard } from './databaseGuard';
import { FallbackExhausted, MidStreamFailure, type FallbackCaller } from './fallbackCall';
import { GatewayError, badRequest } from './gatewayError';
import type { LiveState } from './liveState';
import type { RequestContext } from './requestContext';
import { responseCacheKey, type ResponseCache } from './responseCache';
import type { ShadowMirror } from './shadowMirror';

/** What the caller asked for, in either API shape. */
export type CompletionInput = {
  /** Messages the caller sent (after a prompt's own, for `prompt:<name>`). */
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  seed?: number;
  stream: boolean;
} & ({ kind: 'prompt'; prompt: string; variables: Record<string, unknown> } | { kind: 'model'; model: string });

/** How a stream reaches the caller: headers once the first token is in, then each delta. */
export interface StreamSink {
  start(headers: Record<string, string>): void;
  delta(text: string): void;
}

export interface Served {
  completion: Completion;
  headers: Record<string, string>;
}

export interface PipelineDeps {
  state: LiveState;
  providerConfig: ProviderConfig;
  config: GatewayConfig;
  fallback: FallbackCaller;
  cache: ResponseCache;
  budgets: BudgetLeases;
  shadow: ShadowMirror;
  database: DatabaseGuard;
}

/** The plan for one call once routing, rendering and the model choice are done. */
interface Plan {
  route?: PromptRoute;
  spec?: PromptSpec;
  messages: ChatMessage[];
  model: string;
  fallbacks: readonly string[];
  params: Omit<CompletionRequest, 'model' | 'messages'>;
  variables?: Record<string, unknown>;
}

/**
 * The hot path: route, render, guard the input, cap tokens, pick the model (cost routing, budget
 * downgrade), reserve budget, answer from cache or call the provider with fallback, guard the
 * output, price it. It fills the RequestContext, from which the server writes the log row.
 */
export class RequestPipeline {
  constructor(private readonly deps: PipelineDeps) {}

  async complete(ctx: RequestContext, input: CompletionInput, sink?: StreamSink): Promise<Served> {
    const plan = this.plan(ctx, input);
    const tenant = ctx.tenant!;

    const guarded = checkInput(plan.messages, { pii: tenant.piiPolicy, injection: tenant.injectionPolicy });
    ctx.guardrails.push(...guarded.records);
    ctx.messages = guarded.messages;
    if (guarded.blocked) throw new GatewayError(400, 'guardrail_error', guarded.blocked.message, 'input_blocked', guarded.blocked.id);

    const inputTokens = guarded.messages.reduce((sum, m) => sum + estimateTokens(m.content), 0);
    const cap = plan.spec?.gateway?.max_input_tokens ?? this.deps.config.max_input_tokens;
    if (inputTokens > cap) {
      const where = ctx.promptName ? `gateway.max_input_tokens in the prompt file of ${ctx.promptName}` : 'max_input_tokens in flightdeck.gateway.yaml';
      throw new GatewayError(413, 'request_too_large', `The input is about ${inputTokens} tokens, over the limit of ${cap}; shorten it or raise ${where}`, 'input_too_large', 'messages');
    }

    let model = (plan.spec?.gateway && costRoutedModel(plan.spec.gateway.cost_routing, inputTokens, userText(guarded.messages))) || plan.model;
    model = await this.reserve(ctx, model, inputTokens, plan.params.maxTokens);
    ctx.model = model;

    const cacheTtl = plan.spec?.gateway?.cache?.ttl_seconds;
    const cacheKey = cacheTtl && ctx.promptName
      ? responseCacheKey({ prompt: ctx.promptName, version: ctx.promptVersion!, model, params: { ...plan.params }, messages: guarded.messages })
      : undefined;
    const cached = cacheKey ? await this.deps.database.run(() => this.deps.cache.get(cacheKey)) : undefined;

    const headers = this.headers(ctx);
    let completion: Completion;
    if (cached) {
      completion = cached;
      ctx.cacheHit = true;
      ctx.provider = 'cache';
      ctx.ttftMs = 0;
      ctx.settle(0);
      if (sink) {
        sink.start(headers);
        sink.delta(cached.text);
      }
    } else {
      completion = await this.callProvider(ctx, plan, guarded.messages, model, sink && { sink, headers });
      if (cacheKey && cacheTtl) void this.deps.database.run(() => this.deps.cache.put(cacheKey, ctx.promptName!, completion, cacheTtl));
    }
    ctx.output = completion.text;

    const verdict = checkOutput(completion.text, this.deps.config.output_rules, plan.spec?.output?.schema);
    // A streamed answer is already with the caller: a blocking rule can only be recorded as a flag.
    ctx.guardrails.push(...(sink ? verdict.records.map((r) => (r.decision === 'block' ? { ...r, decision: 'flag' as const, detail: `${r.detail} (streamed: already sent)` } : r)) : verdict.records));
    if (verdict.blocked && !sink) throw new GatewayError(422, 'guardrail_error', verdict.blocked.message, 'output_blocked', verdict.blocked.id);

    if (plan.route?.shadow && plan.variables) {
      this.deps.shadow.maybeMirror(ctx, plan.route, plan.variables, guarded.messages.slice(plan.messages.length - input.messages.length));
    }
    return { completion, headers: { ...headers, 'x-flightdeck-cost-usd': ctx.costUsd.toFixed(8) } };
  }

  /** Routing and rendering for a prompt, or the caller's messages for a model id. */
  private plan(ctx: RequestContext, input: CompletionInput): Plan {
    const callerParams = { temperature: input.temperature, topP: input.topP, stop: input.stop, seed: input.seed, maxTokens: input.maxTokens };
    if (input.kind === 'model') {
      ctx.variant = 'direct';
      return { messages: input.messages, model: input.model, fallbacks: this.deps.config.model_fallbacks[input.model] ?? [], params: callerParams };
    }
    const route = this.deps.state.routes.get(input.prompt);
    if (!route) {
      throw new GatewayError(404, 'not_found_error', `Prompt "${input.prompt}" has no production version on this gateway; push it with \`flightdeck prompt push\``, 'prompt_not_found', 'model');
    }
    const choice = chooseVariant(route, ctx.tenant!, ctx.subject);
    const spec = choice.served.spec;
    ctx.promptName = route.prompt;
    ctx.promptVersion = choice.served.version;
    ctx.variant = choice.variant;
    let rendered;
    try {
      rendered = renderPrompt(spec, input.variables);
    } catch (error) {
      if (error instanceof FlightdeckError) throw badRequest(error.message, 'variables', 'invalid_variables');
      throw error;
    }
    const limit = spec.params.max_tokens;
    const maxTokens = limit === undefined ? input.maxTokens : Math.min(input.maxTokens ?? limit, limit);
    return {
      route,
      spec,
      messages: [...rendered.messages, ...input.messages],
      model: spec.model,
      fallbacks: spec.fallbacks,
      params: { temperature: spec.params.temperature, topP: spec.params.top_p, stop: spec.params.stop, seed: spec.params.seed, maxTokens },
      variables: rendered.variables,
    };
  }

  /** Hold the estimated cost against the tenant's limits; over a hard limit: 429, or the cheaper model. */
  private async reserve(ctx: RequestContext, model: string, inputTokens: number, maxTokens: number | undefined): Promise<string> {
    const tenant = ctx.tenant!;
    if (!this.deps.state.budgeted.has(tenant.id)) return model;
    const estimate = estimateCostUsd(model, inputTokens, maxTokens);
    const admission = await this.deps.database.run(() => this.deps.budgets.admit(tenant.id, ctx.feature, estimate));
    if (!admission) return model; // Postgres away and no lease left: serve unchecked rather than fail
    if (!isRefusal(admission)) {
      ctx.budgetTicket = admission;
      return model;
    }
    const verdict = admission;
    if (verdict.onHard === 'downgrade' && verdict.downgradeModel) return verdict.downgradeModel;
    const scope = verdict.scope ? ` (feature ${verdict.scope})` : '';
    const what = verdict.limit === 'rpm' ? 'requests per minute' : 'USD per day';
    throw new GatewayError(
      429,
      'rate_limit_error',
      `Tenant ${tenant.id} is over its hard limit of ${what}${scope}; retry after ${verdict.retryAfterS} s or raise it with \`flightdeck tenant budget ${tenant.id}\``,
      'budget_exceeded',
      null,
      { 'retry-after': String(Math.max(1, verdict.retryAfterS)) },
    );
  }

  /** Streaming: the caller's headers go out with the first token, so a failure before it can still fall back. */
  private async callProvider(ctx: RequestContext, plan: Plan, messages: ChatMessage[], model: string, stream: { sink: StreamSink; headers: Record<string, string> } | undefined): Promise<Completion> {
    const targets = fallbackChain(model, plan.fallbacks, this.deps.providerConfig);
    let committed = false;
    const onDelta = stream
      ? (text: string) => {
          if (!committed) {
            committed = true;
            ctx.ttftMs = ctx.elapsedMs();
            stream.sink.start(stream.headers);
          }
          stream.sink.delta(text);
        }
      : undefined;
    try {
      const result = await this.deps.fallback.call({ targets, request: { messages, ...plan.params }, deadline: Date.now() + this.deps.config.deadline_ms, attemptTimeoutMs: this.deps.config.attempt_timeout_ms, onDelta, signal: ctx.abort.signal }, ctx.traceContext);
      ctx.attempts = result.attempts;
      ctx.fallbackUsed = result.fallbackUsed;
      ctx.provider = result.target.provider;
      ctx.model = result.target.model;
      ctx.usage = result.completion.usage;
      ctx.costUsd = cost(result.target.model, result.completion.usage).usd;
      if (!stream) ctx.ttftMs = result.completion.ttftMs;
      ctx.settle(ctx.costUsd);
      return result.completion;
    } catch (error) {
      ctx.settle(0);
      if (error instanceof MidStreamFailure) {
        ctx.attempts = error.attempts;
        throw new GatewayError(502, 'upstream_error', `The provider failed mid-stream: ${error.cause.message}`, error.cause.kind);
      }
      if (error instanceof FallbackExhausted) {
        ctx.attempts = error.attempts;
        throw upstreamError(error);
      }
      throw error;
    }
  }

  private headers(ctx: RequestContext): Record<string, string> {
    return {
      'x-flightdeck-request-id': ctx.requestId,
      'x-flightdeck-variant': ctx.variant ?? 'direct',
      ...(ctx.promptVersion ? { 'x-flightdeck-prompt-version': ctx.promptVersion } : {}),
    };
  }
}

function userText(messages: ChatMessage[]): string {
  return messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');
}

/** Why no target answered, as the HTTP error the caller gets. */
function upstreamError(error: FallbackExhausted): GatewayError {
  if (error.reason === 'deadline') return new GatewayError(504, 'upstream_error', 'No provider answered within the request deadline', 'deadline_exceeded');
  if (error.reason === 'all_circuits_open') return new GatewayError(503, 'upstream_error', 'Every provider target for this model is failing (circuits open); retry shortly', 'circuits_open', null, { 'retry-after': '5' });
  const last = error.last;
  if (last && (last.kind === 'bad_request' || last.kind === 'context_length' || last.kind === 'not_found')) {
    return new GatewayError(400, 'invalid_request_error', `The provider refused the request: ${last.message}`, last.kind);
  }
  return new GatewayError(502, 'upstream_error', `Every provider target failed; last: ${last?.message ?? 'unknown'}`, last?.kind ?? 'upstream_failed');
}
