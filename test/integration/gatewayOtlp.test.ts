import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import OpenAI from 'openai';
import { startSimulator } from '../../src/simulator/server';
import { createTenant } from '../../src/tenants/tenantStore';
import { spawnTs, stopChild } from '../harness/childProcess';
import { createTestDatabase } from '../harness/database';
import { freePort } from '../harness/freePort';

/** A stand-in OTLP/HTTP collector: a real HTTP server that keeps what it is sent. */
function collector(): Promise<{ server: Server; url: string; received: Array<{ path: string; body: string }> }> {
  const received: Array<{ path: string; body: string }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received }),
    ),
  );
}

// The exporter loads node:http with a dynamic import, which Jest's module system cannot run, so the
// gateway runs as the real CLI in its own process, configured by the environment as in production.
it('exports the request spans over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set', async () => {
  const otlp = await collector();
  const db = await createTestDatabase();
  const sim = await startSimulator({ port: 0 });
  const port = await freePort();
  const { apiKey } = await createTenant(db.pool, {
    id: 'traced',
    tier: 'free',
    experimentsOptIn: false,
    actor: 'test',
  });
  const { child } = await spawnTs(
    path.join(__dirname, '..', '..', 'bin', 'flightdeck.js'),
    ['gateway', '--no-request-lines'],
    /Gateway listening/,
    {
      ...process.env,
      DATABASE_URL: db.url,
      FLIGHTDECK_SIMULATOR_PORT: String(sim.port),
      FLIGHTDECK_GATEWAY_PORT: String(port),
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
    },
  );
  try {
    const client = new OpenAI({ apiKey, baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
    await client.chat.completions.create({ model: 'sim-instant', messages: [{ role: 'user', content: 'hello' }] });
  } finally {
    await stopChild(child); // shutting down flushes the span batch
    otlp.server.close();
    await sim.close();
    await db.drop();
  }
  const body = otlp.received
    .filter((r) => r.path === '/v1/traces')
    .map((t) => t.body)
    .join('\n');
  expect(body).toContain('chat sim-instant');
  expect(body).toContain('gen_ai.usage.output_tokens');
  expect(body).toContain('flightdeck.tenant.id');
}, 60_000);
