import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import OpenAI from 'openai';
import { loadEnv } from '../../src/config/env';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server';
import { createTenant } from '../../src/tenants/tenantStore';
import { spawnTs, stopChild } from '../harness/childProcess';
import { runCli } from '../harness/cli';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { freePort } from '../harness/freePort';
import { ensurePhoenix, startPhoenix, type RunningPhoenix } from '../harness/phoenix';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A stand-in OTLP/HTTP collector: a real HTTP server that keeps what it is sent and answers `status`. */
function collector(status = 200): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received }),
    ),
  );
}

let db: TestDatabase;
let sim: RunningSimulator;
let apiKey: string;

beforeAll(async () => {
  db = await createTestDatabase();
  sim = await startSimulator({ port: 0 });
  apiKey = (await createTenant(db.pool, { id: 'traced', tier: 'free', experimentsOptIn: false, actor: 'test' })).apiKey;
});

afterAll(async () => {
  await sim.close();
  await db.drop();
});

/**
 * The gateway as the real CLI in its own process, configured by the environment as in production
 * (the OTLP exporters load node:http with a dynamic import, which Jest's module system cannot run).
 * `send` runs against it; stopping it flushes the span batch. Returns what it printed.
 */
async function withGateway(
  env: NodeJS.ProcessEnv,
  send: (client: OpenAI, port: number) => Promise<void>,
): Promise<string> {
  const port = await freePort();
  const { child } = await spawnTs(
    path.join(__dirname, '..', '..', 'bin', 'flightdeck.js'),
    ['gateway', '--no-request-lines'],
    /Gateway listening/,
    {
      ...process.env,
      DATABASE_URL: db.url,
      FLIGHTDECK_SIMULATOR_PORT: String(sim.port),
      FLIGHTDECK_GATEWAY_PORT: String(port),
      FLIGHTDECK_OPERATOR_LOG: 'on',
      ...env,
    },
  );
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    await send(new OpenAI({ apiKey, baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 }), port);
  } finally {
    await stopChild(child);
  }
  return output;
}

const hello = (client: OpenAI, model = 'sim-instant') =>
  client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hello' }] });

describe('OpenTelemetry export that real backends accept', () => {
  it("exports protobuf by default (OTel's default protocol), with the GenAI attributes", async () => {
    const otlp = await collector();
    await withGateway({ OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url }, async (client) => void (await hello(client)));
    otlp.server.close();
    const traces = otlp.received.filter((r) => r.path === '/v1/traces');
    expect(traces.length).toBeGreaterThan(0);
    expect(traces[0]!.headers['content-type']).toBe('application/x-protobuf');
    // Protobuf keeps strings as UTF-8 bytes: the span name and attribute keys are readable in the body.
    const body = Buffer.concat(traces.map((t) => t.body)).toString('latin1');
    for (const text of ['chat sim-instant', 'gen_ai.usage.output_tokens', 'flightdeck.tenant.id', 'flightdeck-gateway'])
      expect(body).toContain(text);
  }, 60_000);

  it('honours OTEL_EXPORTER_OTLP_PROTOCOL=http/json, _TRACES_ENDPOINT, _HEADERS and OTEL_SERVICE_NAME', async () => {
    const otlp = await collector();
    await withGateway(
      {
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${otlp.url}/custom/traces`,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=secret-1',
        OTEL_SERVICE_NAME: 'checkout-gateway',
      },
      async (client) => void (await hello(client)),
    );
    otlp.server.close();
    const traces = otlp.received.filter((r) => r.path === '/custom/traces');
    expect(traces.length).toBeGreaterThan(0);
    expect(traces[0]!.headers).toMatchObject({ 'content-type': 'application/json', 'x-api-key': 'secret-1' });
    const sent = JSON.parse(traces[0]!.body.toString('utf8')) as {
      resourceSpans: Array<{ resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> } }>;
    };
    expect(sent.resourceSpans[0]!.resource.attributes).toContainEqual({
      key: 'service.name',
      value: { stringValue: 'checkout-gateway' },
    });
  }, 60_000);

  it('reports spans the collector refuses: a metric and an operator-log line, and serving goes on', async () => {
    const otlp = await collector(415);
    let metrics = '';
    const output = await withGateway(
      { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_BSP_SCHEDULE_DELAY: '100' },
      async (client, port) => {
        await hello(client);
        const deadline = Date.now() + 15_000;
        while (!/^flightdeck_gateway_span_export_failures_total [1-9]/m.test(metrics) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 200));
          metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        }
        await hello(client); // still serving
      },
    );
    otlp.server.close();
    expect(metrics).toMatch(/^flightdeck_gateway_span_export_failures_total [1-9]/m);
    expect(output).toMatch(/"event":"span_export_failed"/);
  }, 60_000);

  it('refuses a protocol it cannot speak at startup, naming the variable', async () => {
    const result = await runCli(['gateway'], {
      ...process.env,
      DATABASE_URL: db.url,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4317',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/OTEL_EXPORTER_OTLP_PROTOCOL: expected http\/protobuf/);
  });
});

describe('Arize Phoenix reads our spans', () => {
  let phoenix: RunningPhoenix;

  beforeAll(async () => {
    phoenix = await startPhoenix(ensurePhoenix(loadEnv()));
  }, 300_000);

  afterAll(() => phoenix?.stop());

  it("stores the request span with gen_ai.* attributes, provider attempts and guardrails as children, under the caller's traceparent", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    await withGateway(
      { OTEL_EXPORTER_OTLP_ENDPOINT: phoenix.url, OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true' },
      async (client) => {
        await client.chat.completions.create(
          {
            model: 'sim-instant',
            messages: [{ role: 'user', content: 'my card is 4111 1111 1111 1111, when does it ship?' }],
          },
          { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } },
        );
      },
    );
    interface PhoenixSpan {
      name: string;
      context: { trace_id: string; span_id: string };
      parent_id: string | null;
      start_time: string;
      end_time: string;
      attributes: Record<string, unknown>;
    }
    let spans: PhoenixSpan[] = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const response = await fetch(`${phoenix.url}/v1/projects/default/spans?limit=100`);
      spans = response.ok ? ((await response.json()) as { data: PhoenixSpan[] }).data : [];
      // Phoenix ingests in the background: wait for the request span and its guardrail children.
      const root = spans.find((span) => span.parent_id === '00f067aa0ba902b7');
      if (
        root &&
        spans.filter((span) => span.parent_id === root.context.span_id && span.name.startsWith('guardrail')).length >= 2
      )
        break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const request = spans.find((span) => span.name === 'chat sim-instant' && span.parent_id === '00f067aa0ba902b7');
    expect(request).toBeDefined();
    expect(request!.context.trace_id).toBe(traceId);
    expect(request!.attributes).toMatchObject({
      'gen_ai.request.model': 'sim-instant',
      'gen_ai.provider.name': 'simulator',
    });
    expect(JSON.stringify(request!.attributes)).toMatch(/gen_ai\.usage\.output_tokens|"output_tokens"/);
    const children = spans.filter((span) => span.parent_id === request!.context.span_id);
    expect(children.map((span) => span.name)).toEqual(
      expect.arrayContaining(['chat sim-instant', 'guardrail input.pii', 'guardrail input.injection']),
    );
    // Input guards run first: their spans start before the provider attempt's.
    const attempt = children.find((span) => span.name === 'chat sim-instant')!;
    const pii = children.find((span) => span.name === 'guardrail input.pii')!;
    expect(Date.parse(pii.start_time)).toBeLessThanOrEqual(Date.parse(attempt.start_time));
    // Captured messages are redacted like the request log.
    const captured = JSON.stringify(request!.attributes);
    expect(captured).toContain('when does it ship');
    expect(captured).not.toContain('4111 1111 1111 1111');
  }, 120_000);
});
