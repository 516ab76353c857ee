import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { lazy } from '../util/lazy';
import { operatorLog } from './operatorLog';

/** OTLP over HTTP, as OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL names it; protobuf is OTel's default. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

// Each exporter is loaded only when a collector is configured with its protocol.
const protobufExporter = lazy(
  () =>
    require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto'),
);
const jsonExporter = lazy(
  () => require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http'),
);

/**
 * The OTLP trace exporter for a protocol. With no URL it reads the standard variables itself
 * (OTEL_EXPORTER_OTLP_ENDPOINT or _TRACES_ENDPOINT, _HEADERS, _TIMEOUT, _COMPRESSION, certificates).
 */
export function otlpExporter(protocol: OtlpProtocol, url?: string): SpanExporter {
  const config = url ? { url } : {};
  return protocol === 'http/json'
    ? new (jsonExporter().OTLPTraceExporter)(config)
    : new (protobufExporter().OTLPTraceExporter)(config);
}

/**
 * An exporter that reports what it could not deliver: `onFailure` per failed batch (a metric) and an
 * operator-log line (rate-limited there), instead of spans vanishing without a word.
 */
export class ReportingExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly onFailure: (spans: number) => void,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) {
        this.onFailure(spans.length);
        operatorLog('span_export_failed', { spans: spans.length, error: result.error?.message ?? 'unknown' });
      }
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
