import type { Writable } from 'node:stream';
import { withTransaction, type Pool, type PoolClient } from '../db/pool';
import { isDatabaseUnavailable } from '../db/unavailable';
import { scanPii } from '../guardrails/pii';
import { appendRollupDeltas, foldRollupDeltas, vacuumRollupDeltas } from '../monitoring/rollups';
import type { LogEntry } from './requestRecord';
import { operatorLog } from './operatorLog';
import { RequestLogPartitions } from './requestLogPartitions';
import { SpillFiles } from './spillFiles';

/** Batches stored at once, each on its own connection: one is serialised and sent while Postgres stores the other. */
const PARALLEL_BATCHES = 2;
/** A batch that lost a deadlock or a serialisation race (with another batch settling the same budgets) is tried again this often. */
const CONFLICT_RETRIES = 3;
const EXPIRY_INTERVAL_MS = 10 * 60_000;
/** Rollup deltas are folded into request_rollups this often (readers sum both, so nothing waits on it). */
const FOLD_INTERVAL_MS = 2000;
/** SQLSTATE of a row no partition takes. */
const NO_PARTITION = '23514';

export interface RequestLogOptions {
  pool: Pool;
  /** Where entries go while Postgres is away. */
  spillDir: string;
  bodyRetentionDays: number;
  /** Request rows are kept this many days (whole day partitions are dropped); default 90. */
  rowRetentionDays?: number;
  /** One JSON line per request is written here (stdout in the gateway). */
  jsonLines?: Writable;
  /** Entries waiting in memory past which `accepting()` is false (the gateway refuses new requests). */
  maxBuffer?: number;
  /**
   * Rows per transaction at most (default 5,000). A light load is stored in whatever each flush finds;
   * a backlog in batches this big, where per-transaction costs spread thinner and rows of the same
   * series and minute share one rollup delta (500 a batch stored 16k rows/s, 5,000 stores 23k).
   */
  batchSize?: number;
  flushIntervalMs?: number;
  onSpill?: (count: number) => void;
  /** Rows Postgres refused on their own (bad data): set aside under spill/rejected, never retried forever. */
  onSetAside?: (count: number) => void;
  /** Runs inside the storing transaction with the entries newly stored (a replayed spill file does not repeat them). */
  withinStore?: (client: PoolClient, stored: readonly LogEntry[]) => Promise<void>;
}

/**
 * Writes request rows off the hot path: `write` only appends to a buffer; a timer stores batches in
 * one transaction (rows into their day partitions, bodies, the per-minute rollup deltas of the rows
 * newly stored, and what the owner adds: the gateway settles budgets). Every two seconds it folds the
 * deltas into the minute, hour and day rollups; every ten minutes it drops the day partitions past
 * retention. When Postgres is away a batch goes to a spill file and is replayed later. In a batch
 * Postgres refuses for its data, the bad rows are found by halving it and set aside, the rest
 * stored. When neither Postgres nor the disk takes rows, they stay in
 * memory (printed once) and `accepting()` turns false: the gateway then refuses new requests (503)
 * rather than acknowledge rows it could lose.
 */
export class RequestLogWriter {
  private buffer: LogEntry[] = [];
  /** Printed already, but neither stored nor spilled: retried on every flush. */
  private unwritten: LogEntry[] = [];
  /** Batches of a store or spill under way (redacted already): still in memory, so they count towards maxBuffer and are still found by `pendingEntry`. */
  private readonly persisting = new Set<readonly LogEntry[]>();
  private readonly spill: SpillFiles;
  private readonly partitions = new RequestLogPartitions();
  private readonly timer: NodeJS.Timeout;
  private working: Promise<void> = Promise.resolve();
  private lastReplayCheck = 0;
  private lastExpiry = 0;
  private lastFold = 0;
  private hasSpilled = true; // replay anything a previous process left behind
  private readonly maxBuffer: number;
  private readonly batchSize: number;

  constructor(private readonly options: RequestLogOptions) {
    this.spill = new SpillFiles(options.spillDir);
    this.maxBuffer = options.maxBuffer ?? 20_000;
    this.batchSize = options.batchSize ?? 5000;
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 100);
    this.timer.unref();
  }

  /** Takes every entry (requests already under way must be logged); `accepting` is what bounds memory. */
  write(entry: LogEntry): void {
    this.buffer.push(entry);
  }

  /** Whether new requests may be taken on: false once maxBuffer rows wait in memory. */
  accepting(): boolean {
    return this.depth() < this.maxBuffer;
  }

  /** Entries not yet stored (in memory; spilled ones are on disk). */
  depth(): number {
    let persisting = 0;
    for (const batch of this.persisting) persisting += batch.length;
    return this.buffer.length + this.unwritten.length + persisting;
  }

  /**
   * The entry of a request not stored yet (buffered, being stored, or held after a failed store), so
   * a lookup right after the answer finds it: there is no moment when a row is in neither place.
   */
  pendingEntry(requestId: string): LogEntry | undefined {
    const matches = (e: LogEntry) => e.record.request_id === requestId;
    const buffered = this.buffer.find(matches);
    if (buffered) return redactBody(buffered);
    for (const batch of this.persisting) {
      const entry = batch.find(matches);
      if (entry) return entry;
    }
    return this.unwritten.find(matches);
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
    if (this.unwritten.length) await this.persist(this.unwritten.splice(0));
    const inFlight = new Set<Promise<void>>();
    while (this.buffer.length) {
      const batch = this.buffer.splice(0, this.batchSize).map(redactBody);
      // Each record is serialised once: the same text is the stdout line and the row for Postgres.
      const records = batch.map((e) => JSON.stringify(e.record));
      this.options.jsonLines?.write(`${records.join('\n')}\n`);
      if (this.unwritten.length) {
        this.unwritten.push(...batch); // Postgres and disk refused this round: hold, retry next flush
        continue;
      }
      const stored: Promise<void> = this.persist(batch, records).finally(() => inFlight.delete(stored));
      inFlight.add(stored);
      if (inFlight.size >= PARALLEL_BATCHES) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    if (Date.now() - this.lastExpiry >= EXPIRY_INTERVAL_MS) {
      this.lastExpiry = Date.now();
      await this.options.pool.query('DELETE FROM request_bodies WHERE expires_at < now()').catch(() => undefined);
      await this.partitions
        .dropExpired(this.options.pool, this.options.rowRetentionDays ?? 90, this.options.bodyRetentionDays)
        .then((dropped) => dropped.length && operatorLog('log_partitions_dropped', { partitions: dropped }))
        .catch(() => undefined);
    }
    if (Date.now() - this.lastFold >= FOLD_INTERVAL_MS) {
      this.lastFold = Date.now();
      // The next round folds what this one could not; the folder gives back the space it emptied.
      if (await foldRollupDeltas(this.options.pool).catch(() => false))
        await vacuumRollupDeltas(this.options.pool).catch(() => undefined);
    }
    if (this.hasSpilled && Date.now() - this.lastReplayCheck >= 1000) {
      this.lastReplayCheck = Date.now();
      await this.replay();
    }
  }

  /** Postgres, else the spill file, else keep in memory (already printed, so never printed again). */
  private async persist(batch: LogEntry[], records?: string[]): Promise<void> {
    this.persisting.add(batch);
    try {
      await this.storeOrSetAside(batch, records);
    } catch {
      try {
        await this.spillOut(batch);
      } catch {
        this.unwritten.push(...batch);
      }
    } finally {
      this.persisting.delete(batch);
    }
  }

  /**
   * Store a batch; when Postgres refuses it for its data (not for being away), set aside the rows it
   * refuses and store the rest. Throws only when Postgres is unreachable.
   */
  private async storeOrSetAside(batch: readonly LogEntry[], records?: string[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.store(batch, records);
        return;
      } catch (error) {
        if (isConflict(error) && attempt < CONFLICT_RETRIES) continue;
        if (!isDataError(error)) throw error;
        break;
      }
    }
    // Postgres refused the data: halve the batch until the rows it refuses stand alone (a bad row
    // among 5,000 costs about 25 transactions, not 5,000). Rows stored meanwhile are idempotent by request id.
    if (batch.length === 1) return this.setAside(batch);
    const half = Math.ceil(batch.length / 2);
    await this.storeOrSetAside(batch.slice(0, half));
    await this.storeOrSetAside(batch.slice(half));
  }

  private async setAside(entries: readonly LogEntry[]): Promise<void> {
    await this.spill.setAside(entries).catch(() => undefined);
    this.options.onSetAside?.(entries.length);
    for (const entry of entries)
      operatorLog('log_row_set_aside', { request_id: entry.record.request_id, tenant_id: entry.record.tenant_id });
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
        for (let i = 0; i < claimed.entries.length; i += this.batchSize)
          await this.storeOrSetAside(claimed.entries.slice(i, i + this.batchSize));
        await claimed.done();
      } catch {
        await claimed.release();
        return;
      }
    }
    this.hasSpilled = (await this.spill.pending()).length > 0;
  }

  /** One transaction: rows (idempotent by request id), bodies, and `withinStore` for the rows newly stored. */
  private async store(
    entries: readonly LogEntry[],
    // Replayed entries may come from a spill file written before rows had a synthetic flag.
    records: string[] = entries.map((e) => JSON.stringify({ ...e.record, synthetic: e.record.synthetic ?? false })),
  ): Promise<void> {
    const retentionMs = this.options.bodyRetentionDays * 86_400_000;
    await this.partitions.ensure(
      this.options.pool,
      entries.map((e) => e.record.ts),
    );
    await withTransaction(this.options.pool, async (client) => {
      const inserted = await client
        .query<{ request_id: string }>(
          `INSERT INTO requests SELECT * FROM json_populate_recordset(NULL::requests, $1) ON CONFLICT (request_id, ts) DO NOTHING RETURNING request_id`,
          [`[${records.join(',')}]`],
        )
        .catch((error: { code?: string }) => {
          if (error.code === NO_PARTITION) this.partitions.forget(); // dropped by another process: made again on retry
          throw error;
        });
      const fresh = new Set(inserted.rows.map((row) => row.request_id));
      // Only rows stored now count: a replayed spill file does not add its rows twice.
      await appendRollupDeltas(
        client,
        entries.filter((e) => fresh.has(e.record.request_id)).map((e) => e.record),
      );
      const bodies = entries
        .filter((e) => e.body && fresh.has(e.record.request_id))
        .map((e) => ({
          request_id: e.record.request_id,
          tenant_id: e.record.tenant_id,
          messages: e.body!.messages,
          output: e.body!.output,
          expires_at: new Date(Date.parse(e.record.ts) + retentionMs).toISOString(),
          ts: e.record.ts,
        }));
      if (bodies.length) {
        await client.query(
          `INSERT INTO request_bodies SELECT * FROM json_populate_recordset(NULL::request_bodies, $1) ON CONFLICT DO NOTHING`,
          [JSON.stringify(bodies)],
        );
      }
      await this.options.withinStore?.(
        client,
        entries.filter((e) => fresh.has(e.record.request_id)),
      );
    });
  }
}

/** A deadlock or serialisation failure: the same rows may well go in on another try. */
function isConflict(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === '40P01' || code === '40001';
}

/**
 * Postgres answered and refused the data (an SQLSTATE outside connection, resource and shutdown
 * classes): retrying the same rows cannot help. Anything else means Postgres is away.
 */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !/^58/.test(code) && !isDatabaseUnavailable(error);
}

/** Bodies are kept for triage, never with personal data in them, whatever the tenant's input policy. */
function redactBody(entry: LogEntry): LogEntry {
  if (!entry.body) return entry;
  return {
    ...entry,
    body: {
      // Messages the input guard redacted are not scanned twice (a 1 MB body costs tens of ms a scan).
      messages: entry.body.messagesRedacted
        ? entry.body.messages
        : entry.body.messages.map((m) => ({ ...m, content: scanPii(m.content).redacted })),
      output: entry.body.output === null ? null : scanPii(entry.body.output).redacted,
    },
  };
}
