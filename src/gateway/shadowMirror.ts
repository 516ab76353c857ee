import { SpanKind } from '@opentelemetry/api';
import type { ProviderConfig } from '../providers/config';
import { cost } from '../providers/pricing';
import type { ChatMessage } from '../providers/types';
import { checkInput } from '../guardrails/inputGuards';
import { renderPrompt } from '../registry/render';
import { FULL_WEIGHT_BP } from '../model/weights';
import { fallbackChain } from '../routing/fallbackChain';
import type { PromptRoute } from '../routing/routingTable';
import { endSpan, type GatewayTracing } from '../telemetry/tracing';
import { FallbackExhausted, type FallbackCaller } from './fallbackCall';
import { RequestContext } from './requestContext';

export interface ShadowDeps {
  fallback: FallbackCaller;
  tracing: GatewayTracing;
  providerConfig: ProviderConfig;
  deadlineMs: number;
  attemptTimeoutMs: number;
  maxInFlight: number;
  /** Where the shadow's own log row goes. */
  record(ctx: RequestContext, status: number, errorClass: string | null): void;
  onSkipped(): void;
}

/**
 * Mirrors a sampled share of a prompt's served requests to its shadow version in the background.
 * The shadow's answer is never served; it is logged as its own row (variant "shadow", shadow_of the
 * served request) for the canary's comparison.
 */
export class ShadowMirror {
  private inFlight = 0;

  constructor(private readonly deps: ShadowDeps) {}

  maybeMirror(
    served: RequestContext,
    route: PromptRoute,
    variables: Record<string, unknown>,
    extraMessages: ChatMessage[],
  ): void {
    const shadow = route.shadow;
    if (!shadow || Math.random() * FULL_WEIGHT_BP >= shadow.sampleBp) return;
    if (this.inFlight >= this.deps.maxInFlight) {
      this.deps.onSkipped();
      return;
    }
    this.inFlight++;
    void this.mirror(served, route, variables, extraMessages).finally(() => this.inFlight--);
  }

  private async mirror(
    served: RequestContext,
    route: PromptRoute,
    variables: Record<string, unknown>,
    extraMessages: ChatMessage[],
  ): Promise<void> {
    const shadow = route.shadow!;
    const span = this.deps.tracing.child(
      served.traceContext,
      `shadow ${route.prompt}@${shadow.version}`,
      {},
      SpanKind.INTERNAL,
    );
    const ctx = new RequestContext(span, served.traceContext);
    Object.assign(ctx, {
      tenant: served.tenant,
      feature: served.feature,
      subject: served.subject,
      promptName: route.prompt,
      promptVersion: shadow.version,
      variant: 'shadow',
      shadowOf: served.requestId,
    });
    let status = 200;
    let errorClass: string | null = null;
    try {
      const rendered = renderPrompt(shadow.spec, variables);
      // The shadow's provider sees no more than the served one did: the tenant's input policy applies
      // to its own rendering too (the raw variables hold whatever the caller sent).
      const tenant = served.tenant!;
      const guarded = checkInput([...rendered.messages, ...extraMessages], {
        pii: tenant.piiPolicy,
        injection: tenant.injectionPolicy,
      });
      if (guarded.blocked) {
        endSpan(span, 'input_blocked'); // the served request was blocked the same way: nothing to mirror
        return;
      }
      ctx.messages = guarded.messages;
      ctx.messagesRedacted = tenant.piiPolicy === 'redact';
      ctx.model = shadow.spec.model;
      const p = shadow.spec.params;
      const result = await this.deps.fallback.call(
        {
          targets: fallbackChain(shadow.spec.model, shadow.spec.fallbacks, this.deps.providerConfig),
          request: {
            messages: ctx.messages,
            temperature: p.temperature,
            topP: p.top_p,
            stop: p.stop,
            seed: p.seed,
            maxTokens: p.max_tokens,
          },
          deadline: Date.now() + this.deps.deadlineMs,
          attemptTimeoutMs: this.deps.attemptTimeoutMs,
        },
        served.traceContext,
      );
      Object.assign(ctx, {
        provider: result.target.provider,
        model: result.target.model,
        attempts: result.attempts,
        fallbackUsed: result.fallbackUsed,
        usage: result.completion.usage,
        ttftMs: result.completion.ttftMs,
        output: result.completion.text,
      });
      ctx.costUsd = cost(result.target.model, result.completion.usage).usd;
    } catch (error) {
      status = 502;
      errorClass = error instanceof FallbackExhausted ? (error.last?.kind ?? error.reason) : 'shadow_error';
      if (error instanceof FallbackExhausted) ctx.attempts = error.attempts;
    }
    endSpan(span, errorClass ?? undefined);
    this.deps.record(ctx, status, errorClass);
  }
}
