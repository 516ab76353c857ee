import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { GatewayTracing } from '../../../src/telemetry/tracing';

const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
const traceparent = `00-${callerTrace}-00f067aa0ba902b7-01`;

describe('GatewayTracing', () => {
  it('without an exporter records nothing but gives every request its own trace id', () => {
    const tracing = new GatewayTracing({});
    const first = tracing.startRequest({});
    const second = tracing.startRequest({});
    expect(first.span.isRecording()).toBe(false);
    expect(first.span.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(first.span.spanContext().traceId).not.toBe(second.span.spanContext().traceId);
    expect(tracing.child(first.context, 'guardrail x').isRecording()).toBe(false);
  });

  it("without an exporter keeps the caller's trace id from its traceparent", () => {
    const { span } = new GatewayTracing({}).startRequest({ traceparent });
    expect(span.spanContext().traceId).toBe(callerTrace);
    expect(span.spanContext().spanId).not.toBe('00f067aa0ba902b7');
  });

  it('with an exporter records the request span and its children in the caller’s trace', async () => {
    const exporter = new InMemorySpanExporter();
    const tracing = new GatewayTracing({ exporter });
    const { span, context } = tracing.startRequest({ traceparent });
    tracing.child(context, 'guardrail x').end();
    span.end();
    const spans = exporter.getFinishedSpans(); // read before shutdown, which empties the exporter
    await tracing.shutdown();
    expect(spans.map((s) => s.name).sort()).toEqual(['chat', 'guardrail x']);
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([callerTrace]));
  });
});
