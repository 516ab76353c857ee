import type { Writable } from 'node:stream';
import { settleBudgets, type Settlement } from '../budgets/settlement';
import { withTransaction, type Pool } from '../db/pool';
import { scanPii } from '../guardrails/pii';
import type { LogEntry } from './requestRecord';
import { SpillFiles } from './spillFiles';

const EXPIRY_INTERVAL_MS = 10 * 60_000;

export interface RequestLogOptions {
  pool: Pool;
  /** Where entries go while Postgres is away. */
  spillDir: string;
  bodyRetentionDays: number;
  /** One JSON line per request is written here (stdout in the gateway). */
  jsonLines?: Writable;
  /** Entries held in memory at most; past it they go straight to the spill file. */
  maxBuffer?: number;
  batchSize?: number;
  flushIntervalMs?: number;
  onSpill?: (count: number) => void;
}

/**
 * Writes request rows off the hot path: `write` only appends to a bounded buffer; a timer stores
 * batches in one transaction (rows, bodies, budget settlements). A batch Postgres refuses goes to a
 * spill file and is replayed when Postgres answers again, so no row is lost.
 */
export class RequestLogWriter {
  private buffer: LogEntry[] = [];
  private overflow: LogEntry[] = [];
  private readonly spill: SpillFiles;
  private readonly timer: NodeJS.Timeout;
  private working: Promise<void> = Promise.resolve();
  private lastReplayCheck = 0;
  private lastExpiry = 0;
  private hasSpilled = true; // replay anything a previous process left behind
  private readonly maxBuffer: number;
  private readonly batchSize: number;

  constructor(private readonly options: RequestLogOptions) {
    this.spill = new SpillFiles(options.spillDir);
    this.maxBuffer = options.maxBuffer ?? 20_000;
    this.batchSize = options.batchSize ?? 500;
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 100);
    this.timer.unref();
  }

  write(entry: LogEntry): void {
    if (this.buffer.length >= this.maxBuffer) this.overflow.push(entry);
    else this.buffer.push(entry);
  }

  /** Entries not yet stored (in memory; spilled ones are on disk). */
  depth(): number {
    return this.buffer.length + this.overflow.length;
  }

  /** The buffered entry for a request, so a lookup right after the answer finds it before it is stored. */
  pendingEntry(requestId: string): LogEntry | undefined {
    const entry = this.buffer.find((e) => e.record.request_id === requestId);
    return entry && redactBody(entry);
  }

  /** Store everything buffered now (also what the timer calls); concurrent calls queue. */
  flush(): Promise<void> {
    this.working = this.working.then(() => this.drain()).catch(() => undefined);
    return this.working;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async drain(): Promise<void> {
    if (this.overflow.length) {
      const overflow = this.overflow.splice(0).map(redactBody);
      await this.spillOut(overflow);
    }
    while (this.buffer.length) {
      const batch = this.buffer.slice(0, this.batchSize).map(redactBody);
      // Each record is serialised once: the same text is the stdout line and the row for Postgres.
      const records = batch.map((e) => JSON.stringify(e.record));
      this.options.jsonLines?.write(`${records.join('\n')}\n`);
      try {
        await this.store(batch, records);
      } catch {
        await this.spillOut(batch);
      }
      this.buffer.splice(0, batch.length);
    }
    if (Date.now() - this.lastExpiry >= EXPIRY_INTERVAL_MS) {
      this.lastExpiry = Date.now();
      await this.options.pool.query('DELETE FROM request_bodies WHERE expires_at < now()').catch(() => undefined);
    }
    if (this.hasSpilled && Date.now() - this.lastReplayCheck >= 1000) {
      this.lastReplayCheck = Date.now();
      await this.replay();
    }
  }

  private async spillOut(entries: LogEntry[]): Promise<void> {
    await this.spill.append(entries);
    this.hasSpilled = true;
    this.options.onSpill?.(entries.length);
  }

  /** Replay spilled files; stops at the first failure (Postgres still away) and tries again later. */
  private async replay(): Promise<void> {
    for (const file of await this.spill.pending()) {
      const claimed = await this.spill.claim(file);
      if (!claimed) continue;
      try {
        for (let i = 0; i < claimed.entries.length; i += this.batchSize) await this.store(claimed.entries.slice(i, i + this.batchSize));
        await claimed.done();
      } catch {
        await claimed.release();
        return;
      }
    }
    this.hasSpilled = (await this.spill.pending()).length > 0;
  }

  /** One transaction: rows (idempotent by request id), bodies, and settlements of the rows newly stored. */
  private async store(entries: readonly LogEntry[], records: string[] = entries.map((e) => JSON.stringify(e.record))): Promise<void> {
    const retentionMs = this.options.bodyRetentionDays * 86_400_000;
    await withTransaction(this.options.pool, async (client) => {
      const inserted = await client.query<{ request_id: string }>(
        `INSERT INTO requests SELECT * FROM json_populate_recordset(NULL::requests, $1) ON CONFLICT (request_id) DO NOTHING RETURNING request_id`,
        [`[${records.join(',')}]`],
      );
      const fresh = new Set(inserted.rows.map((row) => row.request_id));
      const bodies = entries
        .filter((e) => e.body && fresh.has(e.record.request_id))
        .map((e) => ({
          request_id: e.record.request_id,
          tenant_id: e.record.tenant_id,
          messages: e.body!.messages,
          output: e.body!.output,
          expires_at: new Date(Date.parse(e.record.ts) + retentionMs).toISOString(),
        }));
      if (bodies.length) {
        await client.query(`INSERT INTO request_bodies SELECT * FROM json_populate_recordset(NULL::request_bodies, $1) ON CONFLICT DO NOTHING`, [JSON.stringify(bodies)]);
      }
      const settlements: Settlement[] = entries
        .filter((e) => e.settlement && fresh.has(e.record.request_id))
        .map((e) => ({ ...e.settlement!, day: new Date(e.settlement!.day) }));
      await settleBudgets(client, settlements);
    });
  }
}

/** Bodies are kept for triage, never with personal data in them, whatever the tenant's input policy. */
function redactBody(entry: LogEntry): LogEntry {
  if (!entry.body) return entry;
  return {
    ...entry,
    body: {
      messages: entry.body.messages.map((m) => ({ ...m, content: scanPii(m.content).redacted })),
      output: entry.body.output === null ? null : scanPii(entry.body.output).redacted,
    },
  };
}
