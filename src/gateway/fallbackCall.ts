import { SpanKind, type Context } from '@opentelemetry/api';
import { ProviderError } from '../providers/errors';
import type { ProviderDirectory } from '../providers/directory';
import { retryDelayMs } from '../providers/retry';
import type { Completion, CompletionRequest } from '../providers/types';
import type { DrillFault } from '../drills/drillFaults';
import type { CircuitBoard } from '../routing/circuitBreaker';
import { drillCircuitKey } from '../routing/circuitNotices';
import { targetKey, type Target } from '../routing/fallbackChain';
import type { AttemptRecord } from '../telemetry/requestRecord';
import { endSpan, type GatewayTracing } from '../telemetry/tracing';

const BACKOFF = { attempts: 0, baseDelayMs: 20, maxDelayMs: 250 };

export interface FallbackCall {
  targets: Target[];
  request: Omit<CompletionRequest, 'model' | 'timeoutMs' | 'signal'>;
  /** Absolute deadline (Date.now() ms) for every attempt together. */
  deadline: number;
  /** Longest one attempt may take before the next target is tried. */
  attemptTimeoutMs: number;
  /** Streaming: called with each delta; the first one commits the call to its target (no fallback after). */
  onDelta?: (text: string) => void | Promise<void>;
  /** The caller's hang-up: ends the loop at once, and is never counted against a provider. */
  signal?: AbortSignal;
  /**
   * A drill's faults for the calling (synthetic) tenant: those models fail here without reaching the
   * provider, and the tenant's calls count on circuits of their own, so a drill never opens the
   * circuit real tenants share.
   */
  drill?: { tenant: string; faults: ReadonlyMap<string, DrillFault> };
}

export interface FallbackResult {
  completion: Completion;
  target: Target;
  attempts: AttemptRecord[];
  fallbackUsed: boolean;
}

/** Every target failed or was skipped; carries the attempts for the log. */
export class FallbackExhausted extends Error {
  constructor(
    readonly last: ProviderError | undefined,
    readonly attempts: AttemptRecord[],
    readonly reason: 'failed' | 'all_circuits_open' | 'deadline',
  ) {
    super(last?.message ?? reason);
  }
}

/** The caller hung up (or stopped reading): not a provider failure, so no circuit moves and no other target is tried. */
export class ClientClosed extends Error {
  constructor(readonly attempts: AttemptRecord[]) {
    super('the client closed the connection');
  }
}

/** A failure after the first streamed token: the caller already has part of the answer, so no fallback. */
export class MidStreamFailure extends Error {
  constructor(
    readonly cause: ProviderError,
    readonly attempts: AttemptRecord[],
  ) {
    super(cause.message);
  }
}

/**
 * Try each target in order: retryable failures (429, 5xx, overloaded, timeout, a stream cut before
 * the first token) move to the next after a short jittered pause, within the request's deadline.
 * A target whose circuit is open is skipped; a second pass retries the chain while time remains.
 */
export class FallbackCaller {
  constructor(
    private readonly providers: ProviderDirectory,
    private readonly circuits: CircuitBoard,
    private readonly tracing: GatewayTracing,
    /** The breaker a target uses: its own when the model is known, one per provider otherwise (ids are caller-chosen). */
    private readonly circuitKey: (target: Target) => string = targetKey,
  ) {}

  async call(call: FallbackCall, context: Context): Promise<FallbackResult> {
    const attempts: AttemptRecord[] = [];
    let last: ProviderError | undefined;
    const maxAttempts = Math.max(2, call.targets.length);
    let tried = 0;
    for (let i = 0; tried < maxAttempts && i < maxAttempts * 2; i++) {
      if (call.signal?.aborted) throw new ClientClosed(attempts);
      const target = call.targets[i % call.targets.length]!;
      const remaining = call.deadline - Date.now();
      if (remaining <= 0) throw new FallbackExhausted(last, attempts, 'deadline');
      const key = this.circuitKey(target);
      const breaker = this.circuits.for(call.drill ? drillCircuitKey(call.drill.tenant, key) : key);
      if (!breaker.tryPass()) {
        attempts.push({ provider: target.provider, model: target.model, ms: 0, outcome: 'skipped_open_circuit' });
        continue;
      }
      tried++;
      if (tried > 1)
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(retryDelayMs(tried - 2, BACKOFF), Math.max(0, remaining - 1))),
        );
      const started = performance.now();
      const span = this.tracing.child(
        context,
        `chat ${target.model}`,
        {
          'gen_ai.operation.name': 'chat',
          'gen_ai.provider.name': target.provider,
          'gen_ai.request.model': target.model,
        },
        SpanKind.CLIENT,
      );
      let committed = false;
      try {
        const fault = call.drill?.faults.get(target.model);
        if (fault && fault.expiresAt.getTime() > Date.now())
          throw new ProviderError(
            'server',
            `${target.model} is switched off for tenant ${call.drill!.tenant} by drill ${fault.drill}`,
            target.provider,
            503,
          );
        const request: CompletionRequest = {
          ...call.request,
          model: target.model,
          timeoutMs: Math.min(call.deadline - Date.now(), call.attemptTimeoutMs),
          signal: call.signal,
        };
        const completion = call.onDelta
          ? await this.streamOnce(target, request, (text) => {
              committed = true;
              return call.onDelta!(text);
            })
          : await this.providers.byName(target.provider).complete(request);
        breaker.onSuccess();
        attempts.push({
          provider: target.provider,
          model: target.model,
          ms: Math.round(performance.now() - started),
          outcome: 'ok',
        });
        span.setAttributes({
          'gen_ai.response.model': completion.model,
          'gen_ai.usage.input_tokens': completion.usage.inputTokens,
          'gen_ai.usage.output_tokens': completion.usage.outputTokens,
        });
        endSpan(span);
        return { completion, target, attempts, fallbackUsed: attempts.some((a) => a.outcome !== 'ok') };
      } catch (error) {
        if (call.signal?.aborted) {
          attempts.push({
            provider: target.provider,
            model: target.model,
            ms: Math.round(performance.now() - started),
            outcome: 'client_closed',
          });
          breaker.release();
          endSpan(span, 'client_closed');
          throw new ClientClosed(attempts);
        }
        const failure =
          error instanceof ProviderError
            ? error
            : new ProviderError('bad_request', String((error as Error).message), target.provider);
        attempts.push({
          provider: target.provider,
          model: target.model,
          ms: Math.round(performance.now() - started),
          outcome: failure.kind,
        });
        endSpan(span, failure.kind);
        if (failure.retryable) breaker.onFailure();
        else breaker.onSuccess(); // the provider answered; the request was the problem
        if (committed) throw new MidStreamFailure(failure, attempts);
        if (!failure.retryable) throw new FallbackExhausted(failure, attempts, 'failed');
        last = failure;
      }
    }
    throw new FallbackExhausted(last, attempts, tried === 0 ? 'all_circuits_open' : 'failed');
  }

  private async streamOnce(
    target: Target,
    request: CompletionRequest,
    onDelta: (text: string) => void | Promise<void>,
  ): Promise<Completion> {
    for await (const event of this.providers.byName(target.provider).stream(request)) {
      if (event.type === 'delta') await onDelta(event.text);
      else return event.completion;
    }
    throw new ProviderError('stream_cut', `${target.provider}: the stream ended without a completion`, target.provider);
  }
}
