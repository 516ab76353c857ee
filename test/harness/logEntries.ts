import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Pool } from '../../src/db/pool';
import { RequestLogWriter } from '../../src/telemetry/requestLogWriter';
import type { LogEntry, RequestRecord } from '../../src/telemetry/requestRecord';

/** A plausible request-log entry for writer tests: a served 200 with a short body; fields overridable. */
export function logEntry(tenant: string, feature: string | null = null, over: Partial<RequestRecord> = {}): LogEntry {
  return {
    record: {
      ts: new Date().toISOString(),
      request_id: `req_${randomUUID().replace(/-/g, '')}`,
      tenant_id: tenant,
      feature,
      prompt_name: null,
      prompt_version: null,
      variant: 'direct',
      model: 'gpt-4o-mini-2024-07-18',
      provider: 'simulator',
      fallback_used: false,
      input_tokens: 3,
      cached_tokens: 0,
      output_tokens: 5,
      cost_usd: 0,
      latency_ms_total: 1,
      ttft_ms: 1,
      status: 200,
      error_class: null,
      guardrail_decision: 'allow',
      guardrails: [],
      cache_hit: false,
      output_chars: 10,
      trace_id: null,
      shadow_of: null,
      attempts: [],
      synthetic: false,
      ...over,
    },
    body: { messages: [{ role: 'user', content: 'hello' }], output: 'hi there' },
  };
}

/** Store entries through the real request-log writer (rows, bodies, rollups), then close it. */
export async function storeEntries(pool: Pool, entries: readonly LogEntry[]): Promise<void> {
  const writer = new RequestLogWriter({
    pool,
    spillDir: mkdtempSync(path.join(tmpdir(), 'fd-entries-')),
    bodyRetentionDays: 30,
    flushIntervalMs: 60_000,
  });
  for (const entry of entries) writer.write(entry);
  await writer.close();
}
