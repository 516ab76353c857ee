import { withTransaction, type Pool } from '../db/pool';
import { InputError, NotFoundError } from '../errors';
import { mapWithConcurrency } from '../evals/concurrency';

export type AlertState = 'firing' | 'acknowledged' | 'resolved';

export interface MonitorAlert {
  id: number;
  key: string;
  ruleId: string;
  severity: 'page' | 'ticket';
  state: AlertState;
  summary: string;
  numbers: Record<string, number>;
  playbook: string | null;
  firstFiredAt: Date;
  lastSeenAt: Date;
  acknowledgedBy: string | null;
  resolvedAt: Date | null;
  resolvedBy: string | null;
}

interface AlertRow {
  id: string;
  key: string;
  rule_id: string;
  severity: 'page' | 'ticket';
  state: AlertState;
  summary: string;
  numbers: Record<string, number>;
  playbook: string | null;
  first_fired_at: Date;
  last_seen_at: Date;
  acknowledged_by: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
}

const toAlert = (row: AlertRow): MonitorAlert => ({
  id: Number(row.id),
  key: row.key,
  ruleId: row.rule_id,
  severity: row.severity,
  state: row.state,
  summary: row.summary,
  numbers: row.numbers,
  playbook: row.playbook,
  firstFiredAt: row.first_fired_at,
  lastSeenAt: row.last_seen_at,
  acknowledgedBy: row.acknowledged_by,
  resolvedAt: row.resolved_at,
  resolvedBy: row.resolved_by,
});

export interface Firing {
  key: string;
  ruleId: string;
  severity: 'page' | 'ticket';
  summary: string;
  numbers: Record<string, number>;
  playbook?: string;
}

export type RaiseOutcome = 'raised' | 'still_firing' | 'cooldown' | 'muted';

/**
 * One open alert per key: a key already open is updated (numbers, last seen), not raised again;
 * a key resolved less than `cooldownMinutes` ago or muted stays quiet.
 */
export async function raiseAlert(pool: Pool, firing: Firing, cooldownMinutes: number): Promise<RaiseOutcome> {
  return withTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`monitor-alert:${firing.key}`]);
    const muted = await client.query('SELECT 1 FROM monitor_mutes WHERE key = $1 AND until > now()', [firing.key]);
    if (muted.rowCount) return 'muted';
    const open = await client.query(
      `UPDATE monitor_alerts SET last_seen_at = now(), numbers = $2, summary = $3
       WHERE key = $1 AND state <> 'resolved' RETURNING id`,
      [firing.key, firing.numbers, firing.summary],
    );
    if (open.rowCount) return 'still_firing';
    const recent = await client.query(
      `SELECT 1 FROM monitor_alerts WHERE key = $1 AND resolved_at > now() - make_interval(mins => $2)`,
      [firing.key, cooldownMinutes],
    );
    if (recent.rowCount) return 'cooldown';
    await client.query(
      `INSERT INTO monitor_alerts (key, rule_id, severity, state, summary, numbers, playbook)
       VALUES ($1, $2, $3, 'firing', $4, $5, $6)`,
      [firing.key, firing.ruleId, firing.severity, firing.summary, firing.numbers, firing.playbook ?? null],
    );
    return 'raised';
  });
}

/** Alerts raised at once past the open ones (each its own short transaction, locked by its key). */
const RAISE_CONCURRENCY = 4;

/**
 * Many firings at once, outcomes in their order. Those whose alert is open already (a storm's every
 * pass after its first) are updated in one statement; the rest go one by one through `raiseAlert`,
 * a few at a time. A muted key is never updated here: it goes the slow way and reads "muted".
 */
export async function raiseAlerts(
  pool: Pool,
  firings: ReadonlyArray<{ firing: Firing; cooldownMinutes: number }>,
): Promise<RaiseOutcome[]> {
  if (!firings.length) return [];
  const { rows } = await pool.query<{ key: string }>(
    `UPDATE monitor_alerts a SET last_seen_at = now(), numbers = f.numbers, summary = f.summary
     FROM jsonb_to_recordset($1::jsonb) AS f(key text, numbers jsonb, summary text)
     WHERE a.key = f.key AND a.state <> 'resolved'
       AND NOT EXISTS (SELECT 1 FROM monitor_mutes m WHERE m.key = f.key AND m.until > now())
     RETURNING a.key`,
    [
      JSON.stringify(
        firings.map(({ firing }) => ({ key: firing.key, numbers: firing.numbers, summary: firing.summary })),
      ),
    ],
  );
  const open = new Set(rows.map((row) => row.key));
  return mapWithConcurrency(firings, RAISE_CONCURRENCY, ({ firing, cooldownMinutes }) =>
    open.has(firing.key) ? Promise.resolve<RaiseOutcome>('still_firing') : raiseAlert(pool, firing, cooldownMinutes),
  );
}

/** Resolve the open alerts of these keys (their series were judged back in bounds); returns how many. */
export async function resolveRecovered(pool: Pool, keys: readonly string[]): Promise<number> {
  if (!keys.length) return 0;
  const { rowCount } = await pool.query(
    `UPDATE monitor_alerts SET state = 'resolved', resolved_at = now(), resolved_by = 'monitor (back in bounds)'
     WHERE key = ANY($1) AND state <> 'resolved'`,
    [keys],
  );
  return rowCount ?? 0;
}

export async function listAlerts(pool: Pool, options: { all?: boolean; limit?: number } = {}): Promise<MonitorAlert[]> {
  const { rows } = await pool.query<AlertRow>(
    `SELECT * FROM monitor_alerts WHERE $1 OR state <> 'resolved' ORDER BY last_seen_at DESC LIMIT $2`,
    [options.all ?? false, options.limit ?? 100],
  );
  return rows.map(toAlert);
}

export async function getAlert(pool: Pool, id: number): Promise<MonitorAlert> {
  const { rows } = await pool.query<AlertRow>('SELECT * FROM monitor_alerts WHERE id = $1', [id]);
  if (!rows[0]) throw new NotFoundError(`No alert ${id}; see \`flightdeck alerts list --all\``);
  return toAlert(rows[0]);
}

/** Acknowledge or resolve by hand; idempotent (acknowledging a resolved alert is refused). */
export async function setAlertState(
  pool: Pool,
  id: number,
  state: 'acknowledged' | 'resolved',
  actor: string,
): Promise<{ from: AlertState; to: AlertState }> {
  const current = await getAlert(pool, id);
  if (current.state === state) return { from: state, to: state };
  if (current.state === 'resolved')
    throw new InputError(`Alert ${id} is already resolved; a new one opens if the monitor fires again`);
  await pool.query(
    state === 'acknowledged'
      ? `UPDATE monitor_alerts SET state = 'acknowledged', acknowledged_by = $2 WHERE id = $1`
      : `UPDATE monitor_alerts SET state = 'resolved', resolved_at = now(), resolved_by = $2 WHERE id = $1`,
    [id, actor],
  );
  return { from: current.state, to: state };
}

/** Mute a key for a while (the monitor still judges it, but raises nothing). */
export async function muteKey(pool: Pool, key: string, minutes: number, reason: string, actor: string): Promise<Date> {
  if (!reason.trim()) throw new InputError('Give a reason (--reason "…"): mutes are reviewed');
  // Keys are rule ids and series values: printable text of bounded length (see `alerts list`).
  if (!/^[\x20-\x7e]{1,512}$/.test(key))
    throw new InputError('An alert key is up to 512 printable characters, as `flightdeck alerts list` shows it');
  if (reason.length > 1000 || /[\u0000-\u001f]/.test(reason))
    throw new InputError('The reason is up to 1000 characters on one line, without control characters');
  const { rows } = await pool.query<{ until: Date }>(
    `INSERT INTO monitor_mutes (key, until, reason, muted_by) VALUES ($1, now() + make_interval(mins => $2), $3, $4)
     ON CONFLICT (key) DO UPDATE SET until = EXCLUDED.until, reason = EXCLUDED.reason, muted_by = EXCLUDED.muted_by
     RETURNING until`,
    [key, minutes, reason, actor],
  );
  return rows[0]!.until;
}

/** Whether an alert with this key is open now (firing or acknowledged). */
export async function alertIsOpen(pool: Pool, key: string): Promise<boolean> {
  const { rows } = await pool.query(`SELECT 1 FROM monitor_alerts WHERE key = $1 AND state <> 'resolved'`, [key]);
  return rows.length > 0;
}

/** The newest alert with this key (open or not), for an incident's postmortem. */
export async function latestAlertByKey(pool: Pool, key: string): Promise<MonitorAlert | undefined> {
  const { rows } = await pool.query<AlertRow>('SELECT * FROM monitor_alerts WHERE key = $1 ORDER BY id DESC LIMIT 1', [
    key,
  ]);
  return rows[0] ? toAlert(rows[0]) : undefined;
}
