import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { alertSignature, notifyAlert, notifyNewAlerts } from '../../src/monitoring/alertWebhook';
import { DEFAULT_MONITOR_RULES } from '../../src/monitoring/monitorRules';
import { runMonitorPass } from '../../src/monitoring/monitorPass';
import { RequestLogWriter } from '../../src/telemetry/requestLogWriter';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { logEntry } from '../harness/logEntries';

/** Issue 13, item 3: alerts posted in Slack's shape, signed, retried, and never in the monitor's way. */
const SECRET = 'a-secret-of-some-length';
const alert = {
  key: 'model-availability:model=m',
  ruleId: 'model-availability',
  severity: 'page' as const,
  summary: 'error budget burning 30×',
  numbers: { burn5m: 30 },
  playbook: 'provider-outage',
};

interface Received {
  body: string;
  headers: IncomingMessage['headers'];
}

/** A receiver that answers each request with the next status in `statuses` (then 200); 0 means never answer. */
async function receiver(statuses: number[]): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ body, headers: req.headers });
      const status = statuses.shift() ?? 200;
      if (status === 0) return; // hangs
      res.writeHead(status);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, server };
}

it('retries a failing receiver and delivers a Slack-shaped body whose signature verifies', async () => {
  const hook = await receiver([500, 0]);
  try {
    const delivered = await notifyAlert({ url: hook.url, secret: SECRET }, alert, { timeoutMs: 300, backoffMs: 10 });
    expect(delivered).toBe(true);
    expect(hook.received).toHaveLength(3);
    const last = hook.received[2]!;
    expect(JSON.parse(last.body)).toMatchObject({
      text: expect.stringContaining('model-availability:model=m'),
      flightdeck: alert,
    });
    const timestamp = String(last.headers['x-flightdeck-timestamp']);
    expect(last.headers['x-flightdeck-signature']).toBe(alertSignature(SECRET, timestamp, last.body));
    expect(last.headers['x-flightdeck-signature']).not.toBe(alertSignature('another-secret-123', timestamp, last.body));
  } finally {
    hook.server.closeAllConnections();
    hook.server.close();
  }
});

it('gives up after its retries without throwing, and the monitor pass stores its alerts anyway', async () => {
  const db: TestDatabase = await createTestDatabase();
  const hook = await receiver([503, 503, 503, 503, 503, 503]);
  try {
    expect(await notifyAlert({ url: hook.url, secret: SECRET }, alert, { attempts: 2, backoffMs: 10 })).toBe(false);
    const writer = new RequestLogWriter({
      pool: db.pool,
      spillDir: mkdtempSync(path.join(tmpdir(), 'fd-hook-')),
      bodyRetentionDays: 30,
      flushIntervalMs: 60_000,
    });
    for (let i = 0; i < 100; i++)
      writer.write(
        logEntry('apps', null, {
          ts: new Date(Date.now() - 60_000 - i * 100).toISOString(),
          status: i % 2 ? 502 : 200,
        }),
      );
    await writer.close();
    const started = Date.now();
    const summary = await runMonitorPass(db.pool, DEFAULT_MONITOR_RULES, {
      webhook: { url: hook.url, secret: SECRET },
    });
    expect(summary).toMatchObject({ raised: 1, notified: 0, notifyFailed: 1 });
    expect(Date.now() - started).toBeLessThan(20_000);
    const stored = await db.pool.query(`SELECT key FROM monitor_alerts WHERE state = 'firing'`);
    expect(stored.rows).toEqual([{ key: 'model-availability:model=gpt-4o-mini-2024-07-18' }]);
  } finally {
    hook.server.closeAllConnections();
    hook.server.close();
    await db.drop();
  }
});

it('posts a storm of new alerts as one signed digest, a few one by one', async () => {
  const hook = await receiver([]);
  const webhook = { url: hook.url, secret: SECRET };
  const storm = Array.from({ length: 12 }, (_, i) => ({
    ...alert,
    key: `tenant-cost-spike:tenant=t${i}`,
    ruleId: i < 9 ? 'tenant-cost-spike' : 'model-availability',
  }));
  try {
    expect(await notifyNewAlerts(webhook, storm)).toBe(12);
    expect(hook.received).toHaveLength(1);
    const digest = hook.received[0]!;
    const body = JSON.parse(digest.body);
    expect(body.text).toMatch(
      /12 new alerts: tenant-cost-spike ×9, model-availability ×3\..*and 2 more\. See `flightdeck alerts list`/,
    );
    expect(body.flightdeck).toMatchObject({ digest: true, alerts: storm });
    const timestamp = String(digest.headers['x-flightdeck-timestamp']);
    expect(digest.headers['x-flightdeck-signature']).toBe(alertSignature(SECRET, timestamp, digest.body));

    expect(await notifyNewAlerts(webhook, storm.slice(0, 3))).toBe(3);
    expect(hook.received).toHaveLength(4);
  } finally {
    hook.server.closeAllConnections();
    hook.server.close();
  }
});
