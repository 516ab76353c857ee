/**
 * Simulator throughput, side by side with a bare Node HTTP server returning a canned answer.
 *   npm run bench:simulator [-- --requests 4000 --concurrency 32]
 * Prints a table and writes bench-results/simulator.json. Both servers run in child processes,
 * loaded from this one, on loopback only.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { table } from '../../src/cli/output';
import { startChildServer } from './childServer';
import { numberFlag } from './flags';
import { runLoad, type LoadResult } from './load';

const REQUESTS = numberFlag('requests', 4000);
const CONCURRENCY = numberFlag('concurrency', 32);
const SIM_PORT = 18788;
const BASE_PORT = 18789;
const REPO = path.join(__dirname, '..', '..');

const body = JSON.stringify({
  model: 'sim-instant',
  messages: [
    { role: 'system', content: 'Answer from the context.' },
    {
      role: 'user',
      content:
        'Context: Items can be returned within 30 days of delivery. Shipping is free over $50.\n\nQuestion: How long do I have to return an item?',
    },
  ],
});
const post =
  (url: string, payload = body) =>
  async () => {
    const res = await fetch(url, {
      method: 'POST',
      body: payload,
      headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
    });
    if (!res.ok) throw new Error(String(res.status));
    await res.arrayBuffer();
  };

async function main(): Promise<void> {
  const baseline = await startChildServer(
    [path.join(REPO, 'node_modules/tsx/dist/cli.mjs'), path.join(__dirname, 'baselineServer.ts'), String(BASE_PORT)],
    `http://127.0.0.1:${BASE_PORT}/`,
  );
  const simulator = await startChildServer(
    [path.join(REPO, 'bin/flightdeck.js'), 'simulator', '--port', String(SIM_PORT)],
    `http://127.0.0.1:${SIM_PORT}/healthz`,
  );
  const simUrl = `http://127.0.0.1:${SIM_PORT}/v1/chat/completions`;
  const client = new OpenAI({ apiKey: 'bench', baseURL: `http://127.0.0.1:${SIM_PORT}/v1`, maxRetries: 0 });
  const results: Array<[string, LoadResult]> = [];
  try {
    const scenarios: Array<[string, () => Promise<void>]> = [
      ['baseline: bare node http, canned JSON', post(`http://127.0.0.1:${BASE_PORT}/`)],
      ['simulator: chat completion (JSON)', post(simUrl)],
      [
        'simulator: chat completion (SSE stream)',
        post(simUrl, JSON.stringify({ ...JSON.parse(body), stream: true, stream_options: { include_usage: true } })),
      ],
      [
        'simulator: via the official openai client',
        async () => void (await client.chat.completions.create(JSON.parse(body))),
      ],
      [
        'simulator: embeddings (1 input)',
        post(
          `http://127.0.0.1:${SIM_PORT}/v1/embeddings`,
          JSON.stringify({
            model: 'text-embedding-3-small',
            input: 'refund policy for damaged items',
            encoding_format: 'float',
          }),
        ),
      ],
    ];
    for (const [name, call] of scenarios) {
      await runLoad(call, Math.min(200, REQUESTS), CONCURRENCY); // warm-up
      results.push([name, await runLoad(call, REQUESTS, CONCURRENCY)]);
    }
  } finally {
    simulator.kill();
    baseline.kill();
  }
  const base = results[0]![1].perSecond;
  console.log(`\n${REQUESTS} requests per scenario, ${CONCURRENCY} concurrent callers, loopback\n`);
  console.log(
    table(
      ['SCENARIO', 'REQ/S', 'VS BASELINE', 'P50 MS', 'P99 MS', 'FAILED'],
      results.map(([name, r]) => [name, r.perSecond, (r.perSecond / base).toFixed(2), r.p50Ms, r.p99Ms, r.failures]),
    ),
  );
  const out = path.join(REPO, 'bench-results', 'simulator.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(
    out,
    JSON.stringify({ requests: REQUESTS, concurrency: CONCURRENCY, results: Object.fromEntries(results) }, null, 2),
  );
  console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
