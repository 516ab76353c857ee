import {
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { getNumberFromEnv, W3CTraceContextPropagator } from '@opentelemetry/core';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  RandomIdGenerator,
  SimpleSpanProcessor,
  TracerProvider,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import type { IncomingHttpHeaders } from 'node:http';
import { otlpExporter, ReportingExporter, type OtlpProtocol } from './spanExport';

export interface TracingOptions {
  /** Export to an OTLP collector in batches (its URL and headers from the OTEL_EXPORTER_OTLP_* variables). */
  otlp?: { protocol: OtlpProtocol; url?: string };
  /** An exporter of the caller's (tests), exported span by span. */
  exporter?: SpanExporter;
  /** Called with the number of spans of each batch the collector did not take. */
  onExportFailure?: (spans: number) => void;
}

const propagator = new W3CTraceContextPropagator();
const ids = new RandomIdGenerator();
const headerGetter = {
  keys: (carrier: IncomingHttpHeaders) => Object.keys(carrier),
  get: (carrier: IncomingHttpHeaders, key: string) => carrier[key.toLowerCase()],
};

/**
 * Spans follow the OpenTelemetry GenAI semantic conventions: a request span named
 * "chat <model>" with gen_ai.* attributes and flightdeck.* ones, and child spans per guardrail and
 * per provider attempt. Without an exporter nothing is recorded: each request still gets a trace id
 * (the caller's when it sent a traceparent) for its log row, at a fraction of a recorded span's cost.
 */
export class GatewayTracing {
  readonly tracer: Tracer;
  private readonly provider: TracerProvider;
  /** False when no span could go anywhere: spans are then ids only. */
  private readonly recording: boolean;

  constructor(options: TracingOptions) {
    const processors: SpanProcessor[] = [];
    if (options.exporter) processors.push(new SimpleSpanProcessor({ exporter: options.exporter }));
    if (options.otlp) {
      const exporter = otlpExporter(options.otlp.protocol, options.otlp.url);
      processors.push(
        new BatchSpanProcessor({
          exporter: new ReportingExporter(exporter, options.onExportFailure ?? (() => undefined)),
          // The SDK's batch processor no longer reads its standard variables itself.
          scheduledDelayMillis: getNumberFromEnv('OTEL_BSP_SCHEDULE_DELAY'),
          maxQueueSize: getNumberFromEnv('OTEL_BSP_MAX_QUEUE_SIZE'),
          maxExportBatchSize: getNumberFromEnv('OTEL_BSP_MAX_EXPORT_BATCH_SIZE'),
          exportTimeoutMillis: getNumberFromEnv('OTEL_BSP_EXPORT_TIMEOUT'),
        }),
      );
    }
    this.recording = processors.length > 0;
    this.provider = new TracerProvider({
      // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the default name.
      resource: resourceFromAttributes({ 'service.name': 'flightdeck-gateway' }).merge(
        detectResources({ detectors: [envDetector] }),
      ),
      spanProcessors: processors,
    });
    this.tracer = this.provider.getTracer('flightdeck-gateway');
  }

  /** The request span, a child of the caller's trace when it sent a W3C traceparent. */
  startRequest(headers: IncomingHttpHeaders): { span: Span; context: Context } {
    const parent = propagator.extract(ROOT_CONTEXT, headers, headerGetter);
    if (!this.recording) {
      const caller = trace.getSpanContext(parent);
      const span = trace.wrapSpanContext({
        traceId: caller?.traceId ?? ids.generateTraceId(),
        spanId: ids.generateSpanId(),
        traceFlags: caller?.traceFlags ?? TraceFlags.NONE,
      });
      return { span, context: trace.setSpan(parent, span) };
    }
    const span = this.tracer.startSpan(
      'chat',
      { kind: SpanKind.SERVER, attributes: { 'gen_ai.operation.name': 'chat' } },
      parent,
    );
    return { span, context: trace.setSpan(parent, span) };
  }

  /** A child span; `startTime` (epoch ms) when the work it stands for has already happened. */
  child(
    context: Context,
    name: string,
    attributes: Record<string, string | number | boolean> = {},
    kind = SpanKind.INTERNAL,
    startTime?: number,
  ): Span {
    // Unrecorded, a child would only be thrown away: its parent stands in for it.
    if (!this.recording) return trace.getSpan(context) ?? trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    return this.tracer.startSpan(name, { kind, attributes, startTime }, context);
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}

/** End a span; a failed one carries `error.type` (the semantic conventions require it) and an error status. */
export function endSpan(span: Span, error?: string, endTime?: number): void {
  if (error) {
    span.setAttribute('error.type', error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error });
  }
  span.end(endTime);
}
