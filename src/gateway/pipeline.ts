import {
  BUDGETED_DEFAULT_MAX_TOKENS,
  chainPrice,
  inputTokenBound,
  outputTokenBound,
  reservationUsd,
  typicalTokenEstimate,
} from '../budgets/estimate';
import { isRefusal, type BudgetLeases } from '../budgets/budgetLeases';
import type { GatewayConfig } from '../config/gatewayConfig';
import { FlightdeckError } from '../errors';
import { checkInput } from '../guardrails/inputGuards';
import { checkOutput } from '../guardrails/outputGuards';
import { operatorLog } from '../telemetry/operatorLog';
import type { ProviderConfig } from '../providers/config';
import { cost } from '../providers/pricing';
import type { ChatMessage, Completion, CompletionRequest } from '../providers/types';
import type { PromptSpec } from '../registry/promptFile';
import { renderPrompt } from '../registry/render';
import { costRoutedModel } from '../routing/costRouting';
import { fallbackChain, type Target } from '../routing/fallbackChain';
import { reroute } from '../routing/routeOverrides';
import { chooseVariant, pinnedVariant, type PromptRoute } from '../routing/routingTable';
import type { DatabaseGuard } from './databaseGuard';
import { ClientClosed, FallbackExhausted, MidStreamFailure, type FallbackCaller } from './fallbackCall';
import { GatewayError, badRequest } from './gatewayError';
import type { LiveState } from './liveState';
import type { RequestContext } from './requestContext';
import { responseCacheKey, type ResponseCache } from './responseCache';
import type { ShadowMirror } from './shadowMirror';
import { cappedMaxTokens } from '../routing/outputCaps';

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
} & (
  | {
      kind: 'prompt';
      prompt: string;
      variables: Record<string, unknown>;
      /** A synthetic tenant's pick of the variant (canaries test a live candidate); ignored for everyone else. */
      variant?: 'stable' | 'candidate';
    }
  | { kind: 'model'; model: string }
);

/** How a stream reaches the caller: headers once the first token is in, then each delta. */
export interface StreamSink {
  start(headers: Record<string, string>): void;
  /** Resolves once the caller's socket can take more (backpressure). */
  delta(text: string): Promise<void>;
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

  /** A call's targets: the model, then its fallbacks, rerouted where an override is in force. */
  private chain(tenant: string, primary: string, fallbacks: readonly string[]) {
    const config = this.deps.providerConfig;
    return reroute(fallbackChain(primary, fallbacks, config), this.deps.state.overrides, config, tenant);
  }

  private drillFaults(tenant: string) {
    const faults = this.deps.state.faults.get(tenant);
    return faults && { tenant, faults };
  }

  async complete(ctx: RequestContext, input: CompletionInput, sink?: StreamSink): Promise<Served> {
    const plan = this.plan(ctx, input);
    plan.params.maxTokens = cappedMaxTokens(plan.params.maxTokens, this.deps.state.caps.get(plan.model));
    const tenant = ctx.tenant!;

    // Size first, before any scan: the cap is on an upper bound of the tokens, so no text slips under it.
    const cap = plan.spec?.gateway?.max_input_tokens ?? this.deps.config.max_input_tokens;
    const rawTokens = inputTokenBound(plan.messages.map((m) => m.content));
    if (rawTokens > cap) {
      const where = ctx.promptName
        ? `gateway.max_input_tokens in the prompt file of ${ctx.promptName}`
        : 'max_input_tokens in flightdeck.gateway.yaml';
      throw new GatewayError(
        413,
        'request_too_large',
        `The input may be up to ${rawTokens} tokens (counted as UTF-8 bytes, an upper bound), over the limit of ${cap}; shorten it or raise ${where}`,
        'input_too_large',
        'messages',
      );
    }

    const guarded = checkInput(plan.messages, { pii: tenant.piiPolicy, injection: tenant.injectionPolicy });
    ctx.guardrails.push(...guarded.records);
    ctx.messages = guarded.messages;
    ctx.messagesRedacted = tenant.piiPolicy === 'redact' && !guarded.blocked;
    if (guarded.blocked)
      throw new GatewayError(400, 'guardrail_error', guarded.blocked.message, 'input_blocked', guarded.blocked.id);
    const inputTokens = inputTokenBound(guarded.messages.map((m) => m.content));

    const routedBy = typicalTokenEstimate(guarded.messages.map((m) => m.content));
    const chosen =
      (plan.spec?.gateway && costRoutedModel(plan.spec.gateway.cost_routing, routedBy, userText(guarded.messages))) ||
      plan.model;
    const targets = await this.reserve(ctx, plan, this.chain(tenant.id, chosen, plan.fallbacks), inputTokens);
    ctx.model = targets[0]!.model;

    const cacheTtl = plan.spec?.gateway?.cache?.ttl_seconds;
    const cacheKey =
      cacheTtl && ctx.promptName
        ? responseCacheKey({
            tenant: tenant.id,
            prompt: ctx.promptName,
            version: ctx.promptVersion!,
            model: ctx.model,
            params: { ...plan.params },
            messages: guarded.messages,
          })
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
        await sink.delta(cached.text);
      }
    } else {
      completion = await this.callProvider(
        ctx,
        plan,
        guarded.messages,
        targets,
        inputTokens,
        sink && { sink, headers },
      );
      if (cacheKey && cacheTtl)
        void this.deps.database.run(() =>
          this.deps.cache.put(
            cacheKey,
            tenant.id,
            ctx.promptName!,
            completion,
            Math.min(cacheTtl, this.deps.config.body_retention_days * 86_400),
          ),
        );
    }
    ctx.output = completion.text;

    const verdict = checkOutput(completion.text, this.deps.config.output_rules, plan.spec?.output?.schema);
    // A streamed answer is already with the caller: a blocking rule can only be recorded as a flag.
    ctx.guardrails.push(
      ...(sink
        ? verdict.records.map((r) =>
            r.decision === 'block'
              ? { ...r, decision: 'flag' as const, detail: `${r.detail} (streamed: already sent)` }
              : r,
          )
        : verdict.records),
    );
    if (verdict.blocked && !sink)
      throw new GatewayError(422, 'guardrail_error', verdict.blocked.message, 'output_blocked', verdict.blocked.id);

    if (plan.route?.shadow && plan.variables) {
      this.deps.shadow.maybeMirror(
        ctx,
        plan.route,
        plan.variables,
        guarded.messages.slice(plan.messages.length - input.messages.length),
      );
    }
    return { completion, headers: { ...headers, 'x-flightdeck-cost-usd': ctx.costUsd.toFixed(8) } };
  }

  /** Routing and rendering for a prompt, or the caller's messages for a model id. */
  private plan(ctx: RequestContext, input: CompletionInput): Plan {
    const callerParams = {
      temperature: input.temperature,
      topP: input.topP,
      stop: input.stop,
      seed: input.seed,
      maxTokens: input.maxTokens,
    };
    if (input.kind === 'model') {
      ctx.variant = 'direct';
      return {
        messages: input.messages,
        model: input.model,
        fallbacks: this.deps.config.model_fallbacks[input.model] ?? [],
        params: callerParams,
      };
    }
    const route = this.deps.state.routes.get(input.prompt);
    if (!route) {
      throw new GatewayError(
        404,
        'not_found_error',
        `Prompt "${input.prompt}" has no production version on this gateway; push it with \`flightdeck prompt push\``,
        'prompt_not_found',
        'model',
      );
    }
    if (route.disabled)
      // The operator's reason stays with operators (audit log): callers get a plain one.
      throw new GatewayError(
        403,
        'permission_error',
        `Prompt "${input.prompt}" is disabled on this gateway; contact its operator`,
        'prompt_disabled',
        'model',
      );
    const choice =
      input.variant && ctx.tenant!.kind === 'synthetic'
        ? pinnedVariant(route, input.variant)
        : chooseVariant(route, ctx.tenant!, ctx.subject);
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
      params: {
        temperature: spec.params.temperature,
        topP: spec.params.top_p,
        stop: spec.params.stop,
        seed: spec.params.seed,
        maxTokens,
      },
      variables: rendered.variables,
    };
  }

  /**
   * Hold the most a call can cost against the tenant's limits: the input's upper bound and every
   * allowed output token at the highest rates of the fallback chain. Over a hard limit: 429, or the
   * cheaper model. Postgres away: a small local share of each hard limit instead of none.
   */
  private async reserve(ctx: RequestContext, plan: Plan, targets: Target[], inputTokens: number): Promise<Target[]> {
    const tenant = ctx.tenant!;
    const scopes = this.deps.state.budgeted.get(tenant.id);
    if (!scopes) return targets;
    const applicable = scopes.filter((scope) => scope.feature === '' || scope.feature === ctx.feature);
    if (!applicable.length) return targets;
    plan.params.maxTokens ??= BUDGETED_DEFAULT_MAX_TOKENS;
    const price = chainPrice(targets);
    if (price.kind === 'unpriced' && applicable.some((scope) => scope.usdDayHard !== undefined)) {
      throw new GatewayError(
        400,
        'invalid_request_error',
        `Model "${price.model}" has no price, so its cost cannot be held against tenant ${tenant.id}'s USD limit; use a priced, dated model id (such as gpt-4o-2024-08-06) or ask the operator to add its price to the price table`,
        'unpriced_model',
        'model',
      );
    }
    const estimate = price.kind === 'priced' ? reservationUsd(price, inputTokens, plan.params.maxTokens) : 0;
    const admission =
      (await this.deps.database.run(() => this.deps.budgets.admit(tenant.id, ctx.feature, estimate))) ??
      this.deps.budgets.admitOffline(tenant.id, ctx.feature, estimate, applicable);
    if (!isRefusal(admission)) {
      ctx.budgetTicket = admission;
      return targets;
    }
    const verdict = admission;
    if (verdict.onHard === 'downgrade' && verdict.downgradeModel)
      return this.chain(tenant.id, verdict.downgradeModel, []);
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
  private async callProvider(
    ctx: RequestContext,
    plan: Plan,
    messages: ChatMessage[],
    targets: Target[],
    inputTokens: number,
    stream: { sink: StreamSink; headers: Record<string, string> } | undefined,
  ): Promise<Completion> {
    let committed = false;
    let streamed = '';
    const onDelta = stream
      ? (text: string) => {
          if (!committed) {
            committed = true;
            ctx.ttftMs = ctx.elapsedMs();
            stream.sink.start(stream.headers);
          }
          streamed += text;
          return stream.sink.delta(text);
        }
      : undefined;
    try {
      const result = await this.deps.fallback.call(
        {
          targets,
          request: { messages, ...plan.params },
          deadline: Date.now() + this.deps.config.deadline_ms,
          attemptTimeoutMs: this.deps.config.attempt_timeout_ms,
          onDelta,
          signal: ctx.abort.signal,
          drill: this.drillFaults(ctx.tenant!.id),
        },
        ctx.traceContext,
      );
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
      if (error instanceof ClientClosed) {
        // The provider bills what it received and what it generated before the hang-up: charge both, at their upper bounds.
        const last = error.attempts.at(-1);
        ctx.attempts = error.attempts;
        if (last) {
          ctx.provider = last.provider;
          ctx.model = last.model;
          ctx.usage = { inputTokens, cachedInputTokens: 0, outputTokens: outputTokenBound(streamed) };
          ctx.costUsd = cost(last.model, ctx.usage).usd;
        }
        ctx.settle(ctx.costUsd);
        throw new GatewayError(
          499,
          'api_error',
          'The client closed the connection before the answer was complete',
          'client_closed',
        );
      }
      ctx.settle(0);
      if (error instanceof MidStreamFailure) {
        ctx.attempts = error.attempts;
        operatorLog('provider_failure', {
          request_id: ctx.requestId,
          kind: error.cause.kind,
          detail: error.cause.message,
        });
        throw new GatewayError(
          502,
          'upstream_error',
          `The provider failed mid-stream (${error.cause.kind}); retry the request`,
          error.cause.kind,
        );
      }
      if (error instanceof FallbackExhausted) {
        ctx.attempts = error.attempts;
        if (error.last)
          operatorLog('provider_failure', {
            request_id: ctx.requestId,
            kind: error.last.kind,
            detail: error.last.message,
          });
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
  return messages
    .filter((m) => m.role === 'user')
    .map((m) => m.content)
    .join('\n');
}

/** What a tenant is told when the provider refused its request; the provider's own text goes to the operator log. */
const REFUSED: Record<string, string> = {
  context_length: "The input is longer than the model's context window; shorten it",
  not_found: 'The provider does not serve this model; check the model id',
  bad_request: 'The provider refused the request as invalid; check its parameters',
};

/** Why no target answered, as the HTTP error the caller gets (never the provider's raw text). */
function upstreamError(error: FallbackExhausted): GatewayError {
  if (error.reason === 'deadline')
    return new GatewayError(
      504,
      'upstream_error',
      'No provider answered within the request deadline',
      'deadline_exceeded',
    );
  if (error.reason === 'all_circuits_open')
    return new GatewayError(
      503,
      'upstream_error',
      'Every provider target for this model is failing (circuits open); retry shortly',
      'circuits_open',
      null,
      { 'retry-after': '5' },
    );
  const last = error.last;
  if (last && (last.kind === 'bad_request' || last.kind === 'context_length' || last.kind === 'not_found')) {
    return new GatewayError(400, 'invalid_request_error', REFUSED[last.kind]!, last.kind);
  }
  return new GatewayError(
    502,
    'upstream_error',
    `Every provider target failed (last: ${last?.kind ?? 'unknown'}); retry shortly`,
    last?.kind ?? 'upstream_failed',
  );
}
