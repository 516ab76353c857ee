/**
 * The request log at scale, side by side in one run (issue 13).
 *   npm run bench:monitoring [-- --rows 200000 --tenants 1000 --baseline <rev>]
 * 1. Ingestion: rows/s the request-log writer stores into the day-partitioned log with its rollups
 *    (bodies included, as the gateway writes them), every row counted afterwards; with --baseline, the
 *    same rows through an earlier commit's writer on its own schema.
 * 2. Reports at scale: day rollups standing for 10 million rows over 28 days and 1,000 tenants
 *    (written straight into request_rollups), then `cost report --tenant X --since 28d` timed.
 * 3. Storage per million rows (rows and bodies, indexes included) from what step 1 stored.
 * 4. A monitor pass with the built-in rules over minute and hour rollups of every tenant and model:
 *    cold (nothing cached), then steady with a minute of every series' traffic folded before each pass,
 *    at the hour's turn, and a new worker's first pass after the warm-up it starts with.
 * Uses DATABASE_URL (scratch databases, dropped afterwards) or the embedded Postgres.
 * Prints a table and writes bench-results/monitoring.json.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { table } from '../../src/cli/output';
import { loadEnv } from '../../src/config/env';
import { createPool, withTransaction, type Pool } from '../../src/db/pool';
import { migrate } from '../../src/db/migrate';
import { scratchDatabaseFor } from '../../src/db/scratchDatabase';
import { buildCostReport, loadCostRows } from '../../src/monitoring/costReport';
import { DEFAULT_MONITOR_RULES } from '../../src/monitoring/monitorRules';
import { judgeRule, prefetchBaselines, runMonitorPass } from '../../src/monitoring/monitorPass';
import { appendRollupDeltas, foldRollupDeltas } from '../../src/monitoring/rollups';
import { RequestLogWriter } from '../../src/telemetry/requestLogWriter';
import type { LogEntry, RequestRecord } from '../../src/telemetry/requestRecord';
import { checkoutBaseline, type BaselineCheckout } from './baselineCheckout';
import { numberFlag, stringFlag } from './flags';

const ROWS = numberFlag('rows', 200_000);
const TENANTS = numberFlag('tenants', 1000);
const BASELINE = stringFlag('baseline');
const REPO = path.join(__dirname, '..', '..');
const MODELS = ['gpt-4o-2024-08-06', 'gpt-4o-mini-2024-07-18', 'claude-haiku-4-5-20251001'];
const FEATURES = ['search', 'chat', 'summarise', 'classify'];

function entries(count: number): LogEntry[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => ({
    record: {
      ts: new Date(now - (i % 3_600_000)).toISOString(),
      request_id: `req_${randomUUID().replace(/-/g, '')}`,
      tenant_id: `tenant-${i % TENANTS}`,
      feature: FEATURES[i % FEATURES.length]!,
      prompt_name: i % 2 ? 'support' : null,
      prompt_version: i % 2 ? '1.2.0' : null,
      variant: i % 2 ? 'stable' : 'direct',
      model: MODELS[i % MODELS.length]!,
      provider: 'openai',
      fallback_used: false,
      input_tokens: 120 + (i % 50),
      cached_tokens: 0,
      output_tokens: 40,
      cost_usd: 0.0007,
      latency_ms_total: 200 + (i % 900),
      ttft_ms: 80,
      status: i % 50 ? 200 : 502,
      error_class: i % 50 ? null : 'provider_error',
      guardrail_decision: 'allow',
      guardrails: [{ id: 'input.pii', decision: 'allow', ms: 0.05 }],
      cache_hit: i % 10 === 0,
      output_chars: 160,
      trace_id: null,
      shadow_of: null,
      attempts: [{ provider: 'openai', model: MODELS[i % MODELS.length]!, ms: 190, outcome: 'ok' }],
      synthetic: false,
    },
    body: {
      messages: [{ role: 'user', content: 'How long do I have to return an item?' }],
      output: 'Within 30 days.',
      messagesRedacted: true,
    },
  }));
}

type WriterClass = new (options: ConstructorParameters<typeof RequestLogWriter>[0]) => {
  write(entry: LogEntry): void;
  flush(): Promise<void>;
  close(): Promise<void>;
};

/** Rows/s through one writer: every entry written, flushed until stored, then counted in Postgres. */
async function ingest(Writer: WriterClass, pool: Pool, rows: LogEntry[]) {
  const writer = new Writer({
    pool,
    spillDir: mkdtempSync(path.join(tmpdir(), 'fd-bench-log-')),
    bodyRetentionDays: 7,
    flushIntervalMs: 3_600_000,
  });
  const started = performance.now();
  for (const entry of rows) writer.write(entry);
  await writer.close();
  const seconds = (performance.now() - started) / 1000;
  const stored = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM requests')).rows[0]!.n);
  return {
    rows: rows.length,
    seconds: Number(seconds.toFixed(2)),
    rowsPerSecond: Math.round(rows.length / seconds),
    stored,
    lost: rows.length - stored,
  };
}

async function storagePerMillion(pool: Pool, rows: number) {
  const { rows: sizes } = await pool.query<{ rel: string; bytes: string }>(
    `SELECT p.relname AS rel, sum(pg_total_relation_size(c.oid))::bigint AS bytes
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
     WHERE p.relname IN ('requests', 'request_bodies') GROUP BY 1`,
  );
  const mib = (rel: string) => (Number(sizes.find((s) => s.rel === rel)?.bytes ?? 0) / rows / 1024 / 1024) * 1_000_000;
  const rollups = Number(
    (await pool.query<{ b: string }>(`SELECT pg_total_relation_size('request_rollups') AS b`)).rows[0]!.b,
  );
  return {
    rowsMiB: Math.round(mib('requests')),
    bodiesMiB: Math.round(mib('request_bodies')),
    rollupsMiBAtThisLoad: Math.round(rollups / 1024 / 1024),
  };
}

/** A minute of traffic from every tenant-model series, as request records (what a writer rolls up). */
function minuteOfTraffic(): RequestRecord[] {
  const ts = new Date().toISOString();
  return Array.from({ length: TENANTS * MODELS.length }, (_, i) => ({
    ...entries(1)[0]!.record,
    ts,
    tenant_id: `tenant-${i % TENANTS}`,
    feature: null,
    prompt_name: null,
    prompt_version: null,
    model: MODELS[Math.floor(i / TENANTS)]!,
  }));
}

/** Day rollups standing for `rows` requests over 28 days and TENANTS tenants, 4 features and 3 models each. */
async function seedRollups(pool: Pool, rows: number): Promise<number> {
  const perRollup = Math.max(1, Math.round(rows / (TENANTS * 28 * FEATURES.length * MODELS.length)));
  await pool.query(
    `INSERT INTO request_rollups
     SELECT 'day', date_trunc('day', now(), 'UTC') - d * interval '1 day', 'tenant-' || t, f, '', '', 'direct', m, 'openai', false,
       k.n, k.n / 50, k.n / 100, '{}', k.n * 150, 0, k.n * 40, k.n * 0.0007, k.n / 10, '{}', k.n * 160,
       array_fill(0::bigint, ARRAY[13]), array_fill(0::bigint, ARRAY[13]), ''
     FROM (SELECT $1::bigint AS n) k, generate_series(0, 27) d, generate_series(0, $2::int - 1) t, unnest($3::text[]) f, unnest($4::text[]) m
     ON CONFLICT DO NOTHING`,
    [perRollup, TENANTS, FEATURES, MODELS],
  );
  await pool.query('ANALYZE request_rollups');
  return perRollup * TENANTS * 28 * FEATURES.length * MODELS.length;
}

/**
 * Minute rollups for the last 6 hours and hour rollups for 28 days, per tenant and model (what the
 * monitor pass reads), as a steady fleet of TENANTS tenants would leave them.
 */
async function seedMonitorRollups(pool: Pool): Promise<number> {
  // An hour of a tenant-model series: 60 requests, one 4xx, $0.04-0.046, one injection block; a minute is a sixtieth.
  const insert = (grain: string, step: string, count: number, per: number) =>
    pool.query(
      `INSERT INTO request_rollups
       SELECT $1, date_trunc($1, now(), 'UTC') - s * $2::interval, 'tenant-' || t, '', '', '', 'direct', m, 'openai', false,
         60 / $6::int, 0, 0, '{}', 9000 / $6::int, 0, 2400 / $6::int, (0.04 + (t % 7) * 0.001) / $6::int, 0,
         CASE WHEN $6::int = 1 THEN '{"input.injection:block": 1}'::jsonb ELSE '{}'::jsonb END, 9600 / $6::int,
         ARRAY[0, 0, 0, 0, 0, 60 / $6::int, 0, 0, 0, 0, 0, 0, 0]::bigint[], array_fill(0::bigint, ARRAY[13]), ''
       FROM generate_series(1, $3::int) s, generate_series(0, $4::int - 1) t, unnest($5::text[]) m
       ON CONFLICT DO NOTHING`,
      [grain, step, count, TENANTS, MODELS, per],
    );
  await insert('minute', '1 minute', 360, 60);
  await insert('hour', '1 hour', 28 * 24, 1);
  await pool.query('ANALYZE request_rollups');
  return TENANTS * MODELS.length;
}

async function timeReport(pool: Pool, tenant: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < 7; i++) {
    const query = {
      by: ['feature', 'model'] as const,
      tenant,
      sinceDays: 28,
      includeSynthetic: false,
      maxCostPerCallUsd: 0.05,
      now: new Date(),
    };
    const started = performance.now();
    const loaded = await loadCostRows(pool, { ...query, by: [...query.by] });
    buildCostReport(loaded.days, loaded.usage, { ...query, by: [...query.by] });
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const env = loadEnv();
  const rows = entries(ROWS);
  const results: Record<string, unknown> = { rows: ROWS, tenants: TENANTS };
  const lines: Array<Array<string | number>> = [];

  const scratch = await scratchDatabaseFor(env, 'fd_bench_mon');
  const pool = createPool(scratch.url, 4);
  let baseline: BaselineCheckout | undefined;
  try {
    await migrate(pool);
    console.log(`Ingesting ${ROWS} rows (${TENANTS} tenants) through the request-log writer…`);
    const now = await ingest(RequestLogWriter, pool, rows);
    lines.push(['this checkout (day partitions + rollups)', now.rowsPerSecond, now.seconds, now.stored, now.lost]);
    results.ingestion = now;
    results.storagePerMillionRows = await storagePerMillion(pool, now.stored);

    if (BASELINE) {
      baseline = checkoutBaseline(REPO, BASELINE);
      const old = await scratchDatabaseFor(env, 'fd_bench_mon_base');
      const oldPool = createPool(old.url, 4);
      try {
        const oldMigrate = (
          require(path.join(baseline.dir, 'src/db/migrate.ts')) as typeof import('../../src/db/migrate')
        ).migrate;
        const oldLoad = (require(path.join(baseline.dir, 'src/db/migrate.ts')) as typeof import('../../src/db/migrate'))
          .loadMigrations;
        await oldMigrate(oldPool, oldLoad(path.join(baseline.dir, 'src/db/migrations')));
        const OldWriter = (
          require(path.join(baseline.dir, 'src/telemetry/requestLogWriter.ts')) as { RequestLogWriter: WriterClass }
        ).RequestLogWriter;
        console.log(`…and through the writer at ${baseline.commit}…`);
        const then = await ingest(OldWriter, oldPool, entries(ROWS));
        lines.push([`writer at ${baseline.commit}`, then.rowsPerSecond, then.seconds, then.stored, then.lost]);
        results.baselineIngestion = { commit: baseline.commit, ...then };
      } finally {
        await oldPool.end();
        await old.drop();
      }
    }

    console.log('Seeding day rollups for 10 million rows over 28 days…');
    const represented = await seedRollups(pool, 10_000_000);
    const times = await timeReport(pool, 'tenant-42');
    results.costReport = {
      representedRows: represented,
      medianMs: Number(times[3]!.toFixed(1)),
      maxMs: Number(times[6]!.toFixed(1)),
    };

    console.log('Seeding minute and hour rollups for the monitor pass…');
    const series = await seedMonitorRollups(pool);
    // A cold pass: a new pool has nothing cached (a worker just started, or the first pass of an hour's baselines).
    const coldPool = createPool(scratch.url, 4);
    const coldStarted = performance.now();
    await runMonitorPass(coldPool, DEFAULT_MONITOR_RULES);
    results.monitorPassColdMs = Math.round(performance.now() - coldStarted);
    const perRule: Record<string, number> = {};
    for (const rule of DEFAULT_MONITOR_RULES) {
      const started = performance.now();
      await judgeRule(coldPool, rule, new Date());
      perRule[rule.id] = Math.round(performance.now() - started);
    }
    results.monitorRuleMs = perRule;
    // Steady state: before each pass, a minute of traffic from every series arrives and is folded,
    // as the gateways' writers do, so the pass re-reads what changed.
    const passTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      await withTransaction(pool, (client) => appendRollupDeltas(client, minuteOfTraffic()));
      await foldRollupDeltas(pool);
      const started = performance.now();
      const pass = await runMonitorPass(coldPool, DEFAULT_MONITOR_RULES);
      passTimes.push(performance.now() - started);
      results.monitorPass = { series: pass.series, firing: pass.firing, ms: passTimes.map((t) => Math.round(t)) };
    }
    // The hour's turn, when every baseline moves, as a live worker meets it: its pass ten minutes
    // earlier read the baselines ahead (prefetchBaselines), so this pass finds them cached.
    const turn = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 30_000);
    await prefetchBaselines(coldPool, DEFAULT_MONITOR_RULES, turn);
    const turnStarted = performance.now();
    await runMonitorPass(coldPool, DEFAULT_MONITOR_RULES, { now: turn });
    results.monitorPassHourTurnMs = Math.round(performance.now() - turnStarted);
    await coldPool.end();
    // A worker just started reads the baselines at once (workerFromEnv.ts); its first scheduled pass,
    // up to a minute later, finds them cached.
    const startedPool = createPool(scratch.url, 4);
    const warmUpStarted = performance.now();
    await prefetchBaselines(startedPool, DEFAULT_MONITOR_RULES, new Date());
    results.workerWarmUpMs = Math.round(performance.now() - warmUpStarted);
    const firstStarted = performance.now();
    await runMonitorPass(startedPool, DEFAULT_MONITOR_RULES);
    results.monitorPassAfterWarmUpMs = Math.round(performance.now() - firstStarted);
    await startedPool.end();
    console.log(
      '\nIngestion into the request log (one writer, its defaults: up to 5,000 rows a transaction, two in flight; bodies included)\n',
    );
    console.log(table(['WRITER', 'ROWS/S', 'SECONDS', 'STORED', 'LOST'], lines));
    const storage = results.storagePerMillionRows as Record<string, number>;
    console.log(
      `\nStorage per million rows: requests ${storage.rowsMiB} MiB, bodies ${storage.bodiesMiB} MiB (indexes included)`,
    );
    console.log(
      `cost report --tenant tenant-42 --since 28d --by feature,model over rollups standing for ${represented} rows: median ${(results.costReport as { medianMs: number }).medianMs} ms (7 runs)`,
    );
    const monitor = results.monitorPass as { series: number; firing: number; ms: number[] };
    console.log(
      `Monitor pass, built-in rules, ${TENANTS} tenants x ${MODELS.length} models (${series} tenant-model series; ${monitor.series} judged, ${monitor.firing} firing): ${monitor.ms.join(' / ')} ms (3 passes, a minute of traffic folded before each); cold (nothing cached) ${results.monitorPassColdMs as number} ms; a new worker's first pass after its warm-up (${results.workerWarmUpMs as number} ms) ${results.monitorPassAfterWarmUpMs as number} ms; at the hour's turn, baselines read ahead, ${results.monitorPassHourTurnMs as number} ms; each rule judged alone afterwards (ms) ${JSON.stringify(perRule)}`,
    );
    const out = path.join(REPO, 'bench-results', 'monitoring.json');
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(results, null, 2));
    console.log(`\nwrote ${path.relative(process.cwd(), out)}`);
  } finally {
    await pool.end();
    await scratch.drop();
    baseline?.remove();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
