import { lazy } from '../util/lazy';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  SimpleSpanProcessor,
  TracerProvider,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import type { IncomingHttpHeaders } from 'node:http';

export interface TracingOptions {
  /** OTLP/HTTP collector base URL (OTEL_EXPORTER_OTLP_ENDPOINT); spans are exported in batches. */
  otlpEndpoint?: string;
  /** An exporter of the caller's (tests), exported span by span. */
  exporter?: SpanExporter;
}

const propagator = new W3CTraceContextPropagator();
const headerGetter = {
  keys: (carrier: IncomingHttpHeaders) => Object.keys(carrier),
  get: (carrier: IncomingHttpHeaders, key: string) => carrier[key.toLowerCase()],
};

/**
 * Spans follow the OpenTelemetry GenAI semantic conventions: a request span named
 * "chat <model>" with gen_ai.* attributes and flightdeck.* ones, and child spans per guardrail and
 * per provider attempt. Without an exporter spans are still made (the trace id goes in the log).
 */
// The OTLP exporter is loaded only when a collector is configured.
const otlpHttp = lazy(
  () => require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http'),
);

export class GatewayTracing {
  readonly tracer: Tracer;
  private readonly provider: TracerProvider;

  constructor(options: TracingOptions) {
    const processors: SpanProcessor[] = [];
    if (options.exporter) processors.push(new SimpleSpanProcessor({ exporter: options.exporter }));
    if (options.otlpEndpoint) {
      const { OTLPTraceExporter } = otlpHttp();
      processors.push(
        new BatchSpanProcessor({
          exporter: new OTLPTraceExporter({ url: `${options.otlpEndpoint.replace(/\/$/, '')}/v1/traces` }),
        }),
      );
    }
    this.provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'flightdeck-gateway' }),
      spanProcessors: processors,
    });
    this.tracer = this.provider.getTracer('flightdeck-gateway');
  }

  /** The request span, a child of the caller's trace when it sent a W3C traceparent. */
  startRequest(headers: IncomingHttpHeaders): { span: Span; context: Context } {
    const parent = propagator.extract(ROOT_CONTEXT, headers, headerGetter);
    const span = this.tracer.startSpan(
      'chat',
      { kind: SpanKind.SERVER, attributes: { 'gen_ai.operation.name': 'chat' } },
      parent,
    );
    return { span, context: trace.setSpan(parent, span) };
  }

  child(
    context: Context,
    name: string,
    attributes: Record<string, string | number | boolean> = {},
    kind = SpanKind.INTERNAL,
  ): Span {
    return this.tracer.startSpan(name, { kind, attributes }, context);
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}

export function endSpan(span: Span, error?: string): void {
  if (error) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
  span.end();
}
