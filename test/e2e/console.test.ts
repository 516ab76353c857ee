import { openIncident } from '../../src/incidents/incidentStore';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startConsole, type RunningConsole } from '../../src/console/consoleServer';
import { liveRolloutStages } from '../../src/control/liveRollouts';
import { raiseAlert } from '../../src/monitoring/alertStore';
import type { LogEntry } from '../../src/telemetry/requestRecord';
import { ensureChromium } from '../harness/chromium';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { startHeldRollout, type HeldRollout } from '../harness/heldRollout';
import { runCli } from '../harness/cli';
import { logEntry, storeEntries } from '../harness/logEntries';
import { connectDevServer, type DevServerHandles } from '../harness/temporal';

/**
 * Issue 13, item 4: `flightdeck console` in Debian's Chromium: per-tenant daily cost and per-tenant
 * per-feature cost drawn as charts, the open alert, the live rollout with its stage and weight, the
 * service level of each prompt, recent errors linked to their traces; everything from the console's
 * own origin; nothing without the operator key.
 */
const PROMPT = `console-${Date.now().toString(36)}`;
const SCREENSHOTS = path.join(__dirname, '..', '..', '.flightdeck', 'screenshots');
const KEY = 'operator-key-for-the-console-test';
const DAY = 86_400_000;

let db: TestDatabase;
let temporal: DevServerHandles;
let rollout: HeldRollout;
let browser: Browser;
let consoleServer: RunningConsole;

const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const times = <T>(n: number, make: (i: number) => T) => Array.from({ length: n }, (_, i) => make(i));

const store = (entries: LogEntry[]) => storeEntries(db.pool, entries);

beforeAll(async () => {
  db = await createTestDatabase();
  temporal = await connectDevServer();
  rollout = await startHeldRollout(temporal, db, PROMPT);
  await store([
    // Ten days of spend: acme ($2 a day on search, $1 on chat), globex ($0.50 a day), <script> as a hostile feature name.
    ...times(10, (d) => logEntry('acme', 'search', { ts: ago(d * DAY + 3_600_000), cost_usd: 2 })),
    ...times(10, (d) => logEntry('acme', 'chat', { ts: ago(d * DAY + 3_600_000), cost_usd: 1 })),
    ...times(10, (d) =>
      logEntry('globex', '<script>alert(1)</script>', { ts: ago(d * DAY + 3_600_000), cost_usd: 0.5 }),
    ),
    // Prompt traffic in the last hours: support-answer healthy, faq failing one call in ten.
    ...times(100, (i) =>
      logEntry('acme', null, { ts: ago(i * 60_000), prompt_name: 'support-answer', latency_ms_total: 400 }),
    ),
    ...times(100, (i) =>
      logEntry('acme', null, {
        ts: ago(i * 60_000),
        prompt_name: 'faq',
        status: i % 10 === 0 ? 502 : 200,
        error_class: i % 10 === 0 ? 'provider_error' : null,
        trace_id: i % 10 === 0 ? `4bf92f3577b34da6a3ce929d0e0e${String(4700 + i).padStart(4, '0')}` : null,
      }),
    ),
  ]);
  await raiseAlert(
    db.pool,
    {
      key: 'tenant-cost-spike:tenant=acme',
      ruleId: 'tenant-cost-spike',
      severity: 'page',
      summary: '12 against a baseline median of 3 (×4)',
      numbers: { current: 12, median: 3 },
      playbook: 'cost-runaway',
    },
    30,
  );
  // An open incident whose reason is hostile text: the console shows it as text.
  await openIncident(db.pool, {
    workflowId: 'incident/cost-runaway/tenant-cost-spike:tenant=acme',
    runId: 'run-1',
    kind: 'cost-runaway',
    key: 'tenant-cost-spike:tenant=acme',
    reason: '<img src=x onerror=alert(2)> spend ×4',
    actor: 'monitor',
    alertKey: 'tenant-cost-spike:tenant=acme',
  });
  consoleServer = await startConsole({
    pool: db.pool,
    key: KEY,
    port: 0,
    host: '127.0.0.1',
    links: {
      temporalUi: 'http://localhost:8233',
      namespace: 'default',
      traceUrl: 'http://localhost:6006/trace/{trace_id}',
    },
    stages: () => liveRolloutStages(temporal.client),
  });
  browser = await chromium.launch({ executablePath: ensureChromium(), headless: true });
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await consoleServer?.close();
  await rollout?.stop();
  await temporal?.close();
  await db?.drop();
});

it('draws cost, alerts, the live rollout, service levels and errors, from its own origin only', async () => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const origins = new Set<string>();
  page.on('request', (request) => origins.add(new URL(request.url()).origin));
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  // The printed link signs in and lands on the page without the key in the address.
  await page.goto(consoleServer.loginUrl);
  expect(new URL(page.url()).pathname).toBe('/');
  expect(page.url()).not.toContain(KEY);
  await page.waitForSelector('#tenant-cost svg');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'console.png'), fullPage: true });

  // Cost per tenant per day: a column segment per tenant and day with spend.
  const segments = await page.$$eval('#tenant-cost rect.segment', (rects) =>
    rects.map((r) => ({ series: r.getAttribute('data-series'), value: Number(r.getAttribute('data-value')) })),
  );
  const acme = segments.filter((s) => s.series === 'acme');
  expect(acme.length).toBeGreaterThanOrEqual(9);
  expect(acme.every((s) => Math.abs(s.value - 3) < 1e-9 || s.value > 3)).toBe(true);
  expect(segments.some((s) => s.series === 'globex')).toBe(true);
  expect(await page.innerText('#tenant-cost .legend')).toMatch(/acme \$30\.00/);

  // Per tenant and feature, largest first; a hostile feature name is text, never markup.
  const bars = await page.$$eval('#feature-cost rect.bar', (rects) => rects.map((r) => r.getAttribute('data-label')));
  expect(bars.slice(0, 3)).toEqual(['acme · search', 'acme · chat', 'globex · <script>alert(1)</script>']);
  expect(dialogs).toEqual([]);

  expect(await page.innerText('#alerts')).toContain('tenant-cost-spike:tenant=acme');
  const incidents = await page.innerText('#incidents');
  expect(incidents).toContain('incident/cost-runaway/tenant-cost-spike:tenant=acme');
  expect(incidents).toContain('<img src=x onerror=alert(2)> spend ×4');
  expect(await page.getAttribute('#incidents a', 'href')).toBe(
    `http://localhost:8233/namespaces/default/workflows/${encodeURIComponent('incident/cost-runaway/tenant-cost-spike:tenant=acme')}`,
  );
  expect(await page.innerText(`#rollouts .stage[data-prompt="${PROMPT}"]`)).toBe('canary');
  expect(await page.innerText(`#rollouts .weight[data-prompt="${PROMPT}"]`)).toBe('5%');
  const workflowLink = await page.getAttribute('#rollouts a', 'href');
  expect(workflowLink).toBe(
    `http://localhost:8233/namespaces/default/workflows/${encodeURIComponent(`rollout/${PROMPT}`)}`,
  );

  expect(await page.innerText('#slo .slo[data-prompt="support-answer"]')).toBe('meeting');
  expect(await page.innerText('#slo .slo[data-prompt="faq"]')).toBe('missing');
  expect(await page.innerText('#slo')).toContain('availability under 99%');

  const traceLinks = await page.$$eval('#errors a', (links) => links.map((a) => a.getAttribute('href')));
  expect(traceLinks).toHaveLength(10);
  expect(traceLinks[0]).toMatch(/^http:\/\/localhost:6006\/trace\/4bf92f3577b34da6a3ce929d0e0e\d{4}$/);

  expect([...origins]).toEqual([consoleServer.url]);
}, 60_000);

it('opens nothing without the operator key and refuses what it does not serve', async () => {
  const get = (pathAndQuery: string, headers: Record<string, string> = {}) =>
    fetch(`${consoleServer.url}${pathAndQuery}`, { headers, redirect: 'manual' });
  expect((await get('/')).status).toBe(401);
  expect((await get('/api/console.json')).status).toBe(401);
  expect((await get('/login?key=wrong')).status).toBe(401);
  expect((await get('/', { authorization: 'Bearer not-the-key' })).status).toBe(401);
  expect((await get('/', { cookie: `flightdeck_console=${KEY}` })).status).toBe(401);
  const json = await get('/api/console.json?days=7', { authorization: `Bearer ${KEY}` });
  expect(json.status).toBe(200);
  const data = (await json.json()) as {
    days: number;
    dayLabels: string[];
    tenantCost: { totals: { costUsd: number } };
  };
  expect(data.days).toBe(7);
  expect(data.dayLabels).toHaveLength(7);
  expect(data.tenantCost.totals.costUsd).toBeCloseTo(7 * 3.5, 6);
  for (const days of ['0', '91', 'abc', '1e3', '-1'])
    expect((await get(`/?days=${days}`, { authorization: `Bearer ${KEY}` })).status).toBe(400);
  expect(
    (await fetch(`${consoleServer.url}/`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` } })).status,
  ).toBe(405);
  expect((await get('/../../etc/passwd', { authorization: `Bearer ${KEY}` })).status).toBe(404);
  const page = await get('/', { authorization: `Bearer ${KEY}` });
  expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
});

it('refuses a short key, a non-http Temporal UI link, a bad port and a trace URL that is not http(s), before serving', async () => {
  const env = { DATABASE_URL: db.url };
  for (const [args, extra, message] of [
    [['--key', 'short'], {}, /--key must be at least 16 characters/],
    [['--temporal-ui', 'javascript:alert(1)'], {}, /--temporal-ui must be an http\(s\) URL/],
    [['--port', '0'], {}, /--port must be a whole number/],
    [['--port', 'x'.repeat(10_000)], {}, /--port must be a whole number/],
    [[], { FLIGHTDECK_TRACE_URL: 'javascript:alert({trace_id})' }, /FLIGHTDECK_TRACE_URL: must be an http\(s\) URL/],
  ] as const) {
    const refused = await runCli(['console', ...args], { ...env, ...extra });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(message);
  }
});
