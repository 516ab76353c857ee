import type { Pool, PoolClient } from '../db/pool';

/** Every kind of change the audit trail records; a new one is added here first. */
export type AuditAction =
  | 'prompt.push'
  | 'prompt.reject'
  | 'label.move'
  | 'route.set'
  | 'route.override'
  | 'route.cap'
  | 'tenant.create'
  | 'tenant.status'
  | 'tenant.key.rotate'
  | 'tenant.key.revoke'
  | 'prompt.switch'
  | 'request.purge'
  | 'budget.set'
  | 'drill.fault'
  | 'promotion.skip-eval';

export interface AuditEntry {
  actor: string;
  action: AuditAction;
  /** What changed: a prompt name, a tenant id. */
  subject: string;
  fromValue?: string | null;
  toValue?: string | null;
  reason?: string | null;
  details?: object;
}

/** One row of the audit trail (`audit_log` is written here only), inside the caller's transaction when it has one. */
export async function recordAudit(db: Pool | PoolClient, entry: AuditEntry): Promise<void> {
  await db.query(
    'INSERT INTO audit_log (actor, action, subject, from_value, to_value, reason, details) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [
      entry.actor,
      entry.action,
      entry.subject,
      entry.fromValue ?? null,
      entry.toValue ?? null,
      entry.reason ?? null,
      JSON.stringify(entry.details ?? {}),
    ],
  );
}

export interface LabelMoveRecord {
  ts: Date;
  actor: string;
  label: string;
  from: string | null;
  to: string;
  reason: string | null;
  rollback: boolean;
}

/** A prompt's label moves, oldest first (optionally of one label only). */
export async function labelMoves(db: Pool | PoolClient, prompt: string, label?: string): Promise<LabelMoveRecord[]> {
  const rows = await db.query<{
    ts: Date;
    actor: string;
    details: { label: string; rollback?: boolean };
    from_value: string | null;
    to_value: string;
    reason: string | null;
  }>(
    `SELECT ts, actor, details, from_value, to_value, reason FROM audit_log
     WHERE subject = $1 AND action = 'label.move' AND ($2::text IS NULL OR details->>'label' = $2) ORDER BY id`,
    [prompt, label ?? null],
  );
  return rows.rows.map((row) => ({
    ts: row.ts,
    actor: row.actor,
    label: row.details.label,
    from: row.from_value,
    to: row.to_value,
    reason: row.reason,
    rollback: row.details.rollback === true,
  }));
}
