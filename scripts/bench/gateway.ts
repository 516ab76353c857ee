/**
 * Gateway overhead, throughput, cache hits, memory and routing propagation, side by side in one run.
 *   npm run bench:gateway [-- --rate 1000 --seconds 5 --requests 10000 --concurrency 64 --flips 40]
 *   npm run bench:gateway -- --install-competitors   (adds Portkey's gateway and LiteLLM's proxy, if they install)
 *   npm run bench:gateway -- --skip-competitors      (only Flightdeck, even when they are installed)
 *   npm run bench:gateway -- --baseline <rev>         (also an earlier commit's gateway, side by side, with ratios)
 *   npm run bench:gateway -- --rounds 3               (paced runs repeated in turn; medians reported)
 * Overhead = gateway latency minus direct-to-simulator latency for the same request at the same
 * arrival rate, with request logging, guardrails and a budget check on. Every server runs in its
 * own process. CPU MS/REQ is the CPU time (user + system, from /proc) the answering process spent
 * per request during the paced run: steadier than wall time on a shared machine. Uses DATABASE_URL
 * (a scratch database, dropped afterwards) or the embedded Postgres. Prints a table and writes
 * bench-results/gateway.json.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setBudget } from '../../src/budgets/budgetStore';
import { table } from '../../src/cli/output';
import { loadEnv } from '../../src/config/env';
import { createPool, type Pool } from '../../src/db/pool';
import { migrate } from '../../src/db/migrate';
import { scratchDatabaseFor } from '../../src/db/scratchDatabase';
import { moveLabel } from '../../src/registry/labels';
import { parsePromptFile } from '../../src/registry/promptFile';
import { pushPrompts } from '../../src/registry/registry';
import { setRoute } from '../../src/routing/routeStore';
import { createTenant } from '../../src/tenants/tenantStore';
import { cpuMs, rssMiB, startChildServer, stopServer } from './childServer';
import { competitorSpecs, installCompetitors } from './competitors';
import { checkoutBaseline, type BaselineCheckout } from './baselineCheckout';
import { numberFlag, stringFlag } from './flags';
import { runLoad, runPaced, type LoadResult } from './load';

const RATE = numberFlag('rate', 1000);
const SECONDS = numberFlag('seconds', 5);
const REQUESTS = numberFlag('requests', 10_000);
const CONCURRENCY = numberFlag('concurrency', 64);
const FLIPS = numberFlag('flips', 40);
const ROUNDS = numberFlag('rounds', 1);
const BASELINE = stringFlag('baseline');
const REPO = path.join(__dirname, '..', '..');
const PORTS = {
  simulator: 18788,
  gateway: 18787,
  gateway2: 18786,
  gateway4: 18785,
  baseline: 18784,
  bareProxy: 18783,
  competitor: 18900,
};
const log = (line: string) => console.log(line);

const messages = [
  { role: 'system', content: 'Answer from the context.' },
  {
    role: 'user',
    content:
      'Context: Items can be returned within 30 days of delivery. Shipping is free over $50.\n\nQuestion: How long do I have to return an item?',
  },
];
const chatBody = JSON.stringify({ model: 'sim-instant', messages });

const promptYaml = (name: string, version: string, extra = '') =>
  parsePromptFile(
    `name: ${name}\nversion: ${version}\nowner: bench\nmodel: sim-instant\nallow_alias: true\nvariables: { q: { type: string } }\ntemplate: { user: "${version} {{q}}" }\n${extra}`,
    `${name}.yaml`,
  );

function post(url: string, body: string, headers: Record<string, string>): () => Promise<void> {
  return async () => {
    const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(String(res.status));
  };
}

async function servedVersion(gatewayUrl: string, key: string): Promise<string | null> {
  const res = await fetch(`${gatewayUrl}/v1/prompts/flip/run`, {
    method: 'POST',
    body: '{"variables":{"q":"x"},"user":"probe"}',
    headers: { authorization: `Bearer ${key}` },
  });
  await res.arrayBuffer();
  return res.headers.get('x-flightdeck-prompt-version');
}

/**
 * Time from starting a routing write to both gateways serving the new version. Changes cycle through
 * candidate to 100%, candidate off, production label moved, and moved back.
 */
async function measurePropagation(
  pool: Pool,
  urls: string[],
  key: string,
): Promise<{ weight: number[]; label: number[] }> {
  const weight: number[] = [];
  const label: number[] = [];
  let stable = '1.0.0';
  for (let i = 0; i < FLIPS; i++) {
    const step = i % 4;
    const started = performance.now();
    let target: string;
    if (step === 0) {
      target = '1.0.1';
      await setRoute(pool, { prompt: 'flip', candidateVersion: '1.0.1', weightBp: 10_000, actor: 'bench' });
    } else if (step === 1) {
      target = stable;
      await setRoute(pool, { prompt: 'flip', candidateVersion: null, weightBp: 0, actor: 'bench' });
    } else {
      stable = stable === '1.0.0' ? '1.0.2' : '1.0.0';
      target = stable;
      await moveLabel(pool, { name: 'flip', label: 'production', version: stable, actor: 'bench' });
    }
    await Promise.all(
      urls.map(async (url) => {
        while ((await servedVersion(url, key)) !== target) {
          if (performance.now() - started > 10_000)
            throw new Error(`gateway ${url} did not serve ${target} within 10 s`);
        }
      }),
    );
    (step < 2 ? weight : label).push(performance.now() - started);
  }
  return { weight, label };
}

type PacedResult = LoadResult & { cpuMsPerRequest?: number };

/** Per field, the median over a target's rounds (the middle one of an odd count). */
function medianOf(results: PacedResult[]): PacedResult {
  const middle = (key: keyof PacedResult) => {
    const values = results.flatMap((r) => (r[key] === undefined ? [] : [r[key]])).sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)];
  };
  const keys = ['requests', 'failures', 'seconds', 'perSecond', 'p50Ms', 'p99Ms'] as const;
  return {
    ...Object.fromEntries(keys.map((key) => [key, middle(key)!])),
    cpuMsPerRequest: middle('cpuMsPerRequest'),
  } as PacedResult;
}

function quantiles(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) =>
    Number((sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0).toFixed(1));
  return {
    n: sorted.length,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    maxMs: Number((sorted[sorted.length - 1] ?? 0).toFixed(1)),
  };
}

async function main(): Promise<void> {
  if (process.argv.includes('--install-competitors')) installCompetitors(log);
  const env = loadEnv();
  const scratch = await scratchDatabaseFor(env, 'fd_bench');
  const pool = createPool(scratch.url, 4);
  const children: ChildProcess[] = [];
  let baseline: BaselineCheckout | undefined;
  let baselineGateway: ChildProcess | undefined;
  try {
    await migrate(pool);
    await pushPrompts(
      pool,
      [
        promptYaml('bench', '1.0.0'),
        promptYaml('cached', '1.0.0', 'gateway: { cache: { ttl_seconds: 600 } }\n'),
        promptYaml('flip', '1.0.0'),
        promptYaml('flip', '1.0.1'),
        promptYaml('flip', '1.0.2'),
      ],
      'bench',
    );
    const { apiKey } = await createTenant(pool, { id: 'bench', tier: 'free', experimentsOptIn: false, actor: 'bench' });
    // Limits far above the load, so every request pays for the budget round trip but none is refused.
    await setBudget(
      pool,
      { tenantId: 'bench', feature: '', rpmHard: 10_000_000, usdDayHard: 1_000_000, onHard: 'reject' },
      'bench',
    );

    const simulatorUrl = `http://127.0.0.1:${PORTS.simulator}`;
    children.push(
      await startChildServer(
        [path.join(REPO, 'bin/flightdeck.js'), 'simulator', '--port', String(PORTS.simulator)],
        `${simulatorUrl}/healthz`,
      ),
    );
    const gatewayEnv = (port: number) => ({
      ...process.env,
      DATABASE_URL: scratch.url,
      FLIGHTDECK_SIMULATOR_PORT: String(PORTS.simulator),
      FLIGHTDECK_GATEWAY_PORT: String(port),
      FLIGHTDECK_HOME: mkdtempSync(path.join(tmpdir(), 'fd-bench-gw-')),
    });
    // Request lines go to stdout as in production; the child's stdout is discarded.
    const gateway = await startChildServer(
      [path.join(REPO, 'bin/flightdeck.js'), 'gateway', '--workers', '1'],
      `http://127.0.0.1:${PORTS.gateway}/healthz`,
      { env: gatewayEnv(PORTS.gateway) },
    );
    children.push(gateway);
    const gatewayUrl = `http://127.0.0.1:${PORTS.gateway}`;
    if (BASELINE) {
      baseline = checkoutBaseline(REPO, BASELINE);
      log(`Baseline: the gateway at ${baseline.commit}, checked out in ${baseline.dir}`);
      // Older commits had no --workers flag and ran one process.
      const workers = existsSync(path.join(baseline.dir, 'src/gateway/gatewayCluster.ts')) ? ['--workers', '1'] : [];
      baselineGateway = await startChildServer(
        [path.join(baseline.dir, 'bin/flightdeck.js'), 'gateway', ...workers],
        `http://127.0.0.1:${PORTS.baseline}/healthz`,
        { env: gatewayEnv(PORTS.baseline), timeoutMs: 20_000 },
      );
      children.push(baselineGateway);
    }
    const competitors = process.argv.includes('--skip-competitors')
      ? { installed: [], missing: [] }
      : competitorSpecs();

    const bareProxy = await startChildServer(
      [
        path.join(REPO, 'node_modules/tsx/dist/cli.mjs'),
        path.join(__dirname, 'bareProxy.ts'),
        String(PORTS.bareProxy),
        `${simulatorUrl}/v1/chat/completions`,
      ],
      `http://127.0.0.1:${PORTS.bareProxy}/healthz`,
    );
    children.push(bareProxy);
    const auth = { authorization: `Bearer ${apiKey}` };
    const direct = post(`${simulatorUrl}/v1/chat/completions`, chatBody, { authorization: 'Bearer sim' });
    const viaGateway = post(`${gatewayUrl}/v1/chat/completions`, chatBody, auth);
    // Each target with the process whose CPU time it costs (the server that answers first).
    const targets: Array<[string, () => Promise<void>, number | undefined]> = [
      ['direct to simulator', direct, children[0]!.pid],
      [
        'bare node:http proxy (floor)',
        post(`http://127.0.0.1:${PORTS.bareProxy}/v1/chat/completions`, chatBody, {}),
        bareProxy.pid,
      ],
      ['flightdeck gateway (model id)', viaGateway, gateway.pid],
      [
        'flightdeck gateway (prompt:bench)',
        post(
          `${gatewayUrl}/v1/chat/completions`,
          JSON.stringify({ model: 'prompt:bench', messages: [], variables: { q: messages[1]!.content } }),
          auth,
        ),
        gateway.pid,
      ],
    ];
    if (baseline)
      targets.splice(targets.findIndex(([name]) => name === 'flightdeck gateway (model id)') + 1, 0, [
        `flightdeck gateway at ${baseline.commit} (model id)`,
        post(`http://127.0.0.1:${PORTS.baseline}/v1/chat/completions`, chatBody, auth),
        baselineGateway?.pid,
      ]);

    log('Warming up every target (a freshly started gateway is still compiling its hot path)…');
    for (const [, call] of targets) await runLoad(call, 3000, 32);
    log(`Overhead at ${RATE} requests/s for ${SECONDS} s each (open loop)…`);
    const paced: Array<[string, PacedResult]> = [];
    /** One paced run, with the CPU time the serving process spent per request during it. */
    const measured = async (call: () => Promise<void>, pid: number | undefined) => {
      await runPaced(call, RATE, 1.5); // warm-up at the same rate: connections, JIT, pools, budget leases
      const before = cpuMs(pid);
      const result = await runPaced(call, RATE, SECONDS);
      const after = cpuMs(pid);
      const served = result.requests - result.failures;
      const cpuMsPerRequest =
        before === undefined || after === undefined || !served
          ? undefined
          : Number(((after - before) / served).toFixed(3));
      return { ...result, cpuMsPerRequest };
    };
    // Rounds take the targets in turn, so drift on this shared machine falls on all of them alike.
    const rounds = new Map<string, PacedResult[]>();
    for (let round = 0; round < ROUNDS; round++)
      for (const [name, call, pid] of targets)
        rounds.set(name, [...(rounds.get(name) ?? []), await measured(call, pid)]);
    for (const [name, results] of rounds) paced.push([name, medianOf(results)]);
    for (const spec of competitors.installed) {
      const competitor = await spec.start(simulatorUrl, PORTS.competitor);
      try {
        const call = post(competitor.url, chatBody, { authorization: 'Bearer sim', ...competitor.headers });
        paced.push([competitor.name, await measured(call, competitor.child.pid)]);
      } finally {
        stopServer(competitor.child, 'SIGKILL'); // drop any backlog now, so it cannot slow what follows
      }
    }
    const base = paced[0]![1];

    log(`Throughput: ${REQUESTS} requests, ${CONCURRENCY} concurrent (closed loop)…`);
    // Tagged with a feature, so the rows of this phase can be counted apart from the others.
    const throughput = await runLoad(
      post(`${gatewayUrl}/v1/chat/completions`, chatBody, { ...auth, 'x-flightdeck-feature': 'throughput' }),
      REQUESTS,
      CONCURRENCY,
    );
    const directThroughput = await runLoad(direct, REQUESTS, CONCURRENCY);

    log('Throughput with one gateway worker per core (--workers 2)…');
    const multi = await startChildServer(
      [path.join(REPO, 'bin/flightdeck.js'), 'gateway', '--workers', '2'],
      `http://127.0.0.1:${PORTS.gateway4}/healthz`,
      { env: gatewayEnv(PORTS.gateway4), timeoutMs: 20_000 },
    );
    children.push(multi);
    const multiCall = post(`http://127.0.0.1:${PORTS.gateway4}/v1/chat/completions`, chatBody, auth);
    await runLoad(multiCall, 3000, 32); // warm-up: both workers compile their hot paths
    const twoWorkers = await runLoad(multiCall, REQUESTS, CONCURRENCY);
    stopServer(multi);
    let rowsStored = 0;
    for (let i = 0; i < 100 && rowsStored < REQUESTS - throughput.failures; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      rowsStored = Number(
        (
          await pool.query<{ n: string }>(
            `SELECT count(*) AS n FROM requests WHERE feature = 'throughput' AND status = 200`,
          )
        ).rows[0]!.n,
      );
    }
    const rssAfterLoad = rssMiB(gateway.pid);

    log('Cache hits…');
    const cachedCall = post(
      `${gatewayUrl}/v1/prompts/cached/run`,
      JSON.stringify({ variables: { q: 'same question every time' } }),
      auth,
    );
    await cachedCall();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const cacheHits = await runLoad(cachedCall, Math.min(REQUESTS, 5000), CONCURRENCY);
    const hitRows = Number(
      (await pool.query<{ n: string }>(`SELECT count(*) AS n FROM requests WHERE prompt_name = 'cached' AND cache_hit`))
        .rows[0]!.n,
    );

    log(`Routing propagation: ${FLIPS} changes, two gateways…`);
    const second = await startChildServer(
      [path.join(REPO, 'bin/flightdeck.js'), 'gateway', '--workers', '1'],
      `http://127.0.0.1:${PORTS.gateway2}/healthz`,
      { env: gatewayEnv(PORTS.gateway2) },
    );
    children.push(second);
    const propagation = await measurePropagation(pool, [gatewayUrl, `http://127.0.0.1:${PORTS.gateway2}`], apiKey);
    const all = quantiles([...propagation.weight, ...propagation.label]);

    console.log(
      `\nOverhead at ${RATE} req/s (open loop, ${SECONDS} s), same request, every server in its own process, 2 cores shared with the load generator\n`,
    );
    console.log(
      table(
        ['TARGET', 'REQ/S', 'P50 MS', 'P99 MS', 'P50 OVERHEAD', 'P99 OVERHEAD', 'FAILED', 'CPU MS/REQ'],
        paced.map(([name, r]) => [
          name,
          r.perSecond,
          r.p50Ms,
          r.p99Ms,
          (r.p50Ms - base.p50Ms).toFixed(2),
          (r.p99Ms - base.p99Ms).toFixed(2),
          r.failures,
          r.cpuMsPerRequest ?? '-',
        ]),
      ),
    );
    if (baseline) {
      const now = paced.find(([name]) => name === 'flightdeck gateway (model id)')![1];
      const then = paced.find(([name]) => name.includes(baseline!.commit))![1];
      const ratio = (a: number | undefined, b: number | undefined) => (a && b ? (a / b).toFixed(2) : '-');
      console.log(
        `\nThis checkout against ${baseline.commit}: CPU per request ×${ratio(now.cpuMsPerRequest, then.cpuMsPerRequest)}, p50 overhead ${(now.p50Ms - base.p50Ms).toFixed(2)} vs ${(then.p50Ms - base.p50Ms).toFixed(2)} ms, p99 overhead ${(now.p99Ms - base.p99Ms).toFixed(2)} vs ${(then.p99Ms - base.p99Ms).toFixed(2)} ms`,
      );
    }
    for (const spec of competitors.installed) console.log(`${spec.name}: ${spec.configuration}`);
    if (competitors.missing.length)
      console.log(`(not installed: ${competitors.missing.join(', ')}; add them with --install-competitors)`);
    console.log(`\nThroughput, closed loop, ${CONCURRENCY} concurrent\n`);
    console.log(
      table(
        ['SCENARIO', 'REQ/S', 'P50 MS', 'P99 MS', 'FAILED', 'ROWS STORED', 'GATEWAY RSS MIB'],
        [
          [
            'flightdeck gateway (model id)',
            throughput.perSecond,
            throughput.p50Ms,
            throughput.p99Ms,
            throughput.failures,
            `${rowsStored}/${REQUESTS - throughput.failures}`,
            rssAfterLoad,
          ],
          [
            'flightdeck gateway, 2 workers (--workers 2)',
            twoWorkers.perSecond,
            twoWorkers.p50Ms,
            twoWorkers.p99Ms,
            twoWorkers.failures,
            '-',
            '-',
          ],
          [
            'direct to simulator',
            directThroughput.perSecond,
            directThroughput.p50Ms,
            directThroughput.p99Ms,
            directThroughput.failures,
            '-',
            '-',
          ],
          [
            'flightdeck gateway, cache hits',
            cacheHits.perSecond,
            cacheHits.p50Ms,
            cacheHits.p99Ms,
            cacheHits.failures,
            `${hitRows} hits`,
            rssMiB(gateway.pid),
          ],
        ],
      ),
    );
    console.log(
      `\nRouting propagation to the last of 2 gateways: p50 ${all.p50Ms} ms, p99 ${all.p99Ms} ms, max ${all.maxMs} ms (${all.n} changes; weight ${JSON.stringify(quantiles(propagation.weight))}, label ${JSON.stringify(quantiles(propagation.label))})`,
    );

    const out = path.join(REPO, 'bench-results', 'gateway.json');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(
      out,
      JSON.stringify(
        {
          rate: RATE,
          seconds: SECONDS,
          overhead: Object.fromEntries(
            paced.map(([name, r]) => [
              name,
              { ...r, p50OverheadMs: r.p50Ms - base.p50Ms, p99OverheadMs: r.p99Ms - base.p99Ms },
            ]),
          ),
          throughput: { gateway: throughput, twoWorkers, direct: directThroughput, rowsStored, rssMiB: rssAfterLoad },
          cacheHits: { ...cacheHits, hitRows },
          propagation: { all, weight: quantiles(propagation.weight), label: quantiles(propagation.label) },
          competitorsMissing: competitors.missing,
          competitorConfiguration: Object.fromEntries(
            competitors.installed.map((spec) => [spec.name, spec.configuration]),
          ),
        },
        null,
        2,
      ),
    );
    console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
  } finally {
    for (const child of children) stopServer(child);
    await pool.end();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await scratch.drop();
    baseline?.remove();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
