import { SpanKind, type Context, type Span } from '@opentelemetry/api';
import type { GuardrailRecord } from '../guardrails/decision';
import type { Usage } from '../providers/types';
import type { GatewayMetrics } from './gatewayMetrics';
import { messageAttributes } from './genAiMessages';
import type { RequestLogWriter } from './requestLogWriter';
import type { LogEntry } from './requestRecord';
import { endSpan, type GatewayTracing } from './tracing';

/** What the recorder reads of a finished request (the gateway's RequestContext has it all). */
export interface FinishedRequest {
  readonly span: Span;
  readonly traceContext: Context;
  readonly requestId: string;
  readonly guardrails: readonly GuardrailRecord[];
  readonly usage: Usage;
  model: string | null;
  provider: string | null;
  promptName: string | null;
  promptVersion: string | null;
  variant: string | null;
  tenant?: { id: string };
  costUsd: number;
  fallbackUsed: boolean;
  cacheHit: boolean;
  toLogEntry(status: number, errorClass: string | null): LogEntry;
}

/**
 * The one place a request becomes telemetry: its log row, its metrics, its span (GenAI attributes,
 * a child per guardrail). Calls that never got a tenant are counted and their span ended, no row.
 */
export class RequestRecorder {
  constructor(
    private readonly log: RequestLogWriter,
    private readonly metrics: GatewayMetrics,
    private readonly tracing: GatewayTracing,
    /** Put the (redacted) messages on the request span: opt-in, off by default. */
    private readonly captureMessages = false,
  ) {}

  record(request: FinishedRequest, status: number, errorClass: string | null): void {
    const entry = request.toLogEntry(status, errorClass);
    this.log.write(entry);
    this.metrics.observe(entry.record);
    if (request.span.isRecording()) this.describeSpan(request, entry, status, errorClass);
  }

  /** The request span's GenAI attributes and a child per guardrail, then its end. */
  private describeSpan(request: FinishedRequest, entry: LogEntry, status: number, errorClass: string | null): void {
    const { span } = request;
    span.updateName(`chat ${request.model ?? ''}`.trim());
    // Attributes without a value are left out (an empty string would read as a value).
    span.setAttributes({
      'gen_ai.provider.name': request.provider ?? undefined,
      'gen_ai.request.model': request.model ?? undefined,
      'gen_ai.usage.input_tokens': request.usage.inputTokens,
      'gen_ai.usage.output_tokens': request.usage.outputTokens,
      'flightdeck.request_id': request.requestId,
      'flightdeck.prompt.name': request.promptName ?? undefined,
      'flightdeck.prompt.version': request.promptVersion ?? undefined,
      'flightdeck.variant': request.variant ?? undefined,
      'flightdeck.tenant.id': request.tenant?.id,
      'flightdeck.cost_usd': request.costUsd,
      'flightdeck.fallback_used': request.fallbackUsed,
      'flightdeck.cache_hit': request.cacheHit,
      'http.response.status_code': status,
    });
    if (this.captureMessages && entry.body) span.setAttributes(messageAttributes(entry.body));
    // Each guardrail's span covers the time its check ran, not the moment the request was recorded.
    for (const guard of request.guardrails) {
      const guardSpan = this.tracing.child(
        request.traceContext,
        `guardrail ${guard.id}`,
        {
          'flightdeck.guardrail.id': guard.id,
          'flightdeck.guardrail.decision': guard.decision,
          'flightdeck.guardrail.ms': guard.ms,
        },
        SpanKind.INTERNAL,
        guard.startedAt,
      );
      guardSpan.end(guard.startedAt + guard.ms);
    }
    endSpan(span, status >= 400 ? (errorClass ?? String(status)) : undefined);
  }

  /** A call without a log row: refused before it had a tenant, or an endpoint that keeps no row. */
  finishUnlogged(span: Span, status: number, errorClass: string | null, elapsedMs: number): void {
    this.metrics.observeUnlogged(status, elapsedMs / 1000);
    endSpan(span, status >= 400 ? (errorClass ?? undefined) : undefined);
  }

  /** Count a tenant call in flight until `done` is called. */
  started(): () => void {
    this.metrics.inFlight.inc();
    return () => this.metrics.inFlight.dec();
  }
}
