import type { Pool, PoolClient } from '../db/pool';

export interface AuditEntry {
  actor: string;
  action: string;
  subject: string;
  reason?: string;
  details?: Record<string, unknown>;
}

/** One row of the audit trail, for an action that changes nothing else in Postgres (e.g. a skipped eval gate). */
export async function recordAudit(db: Pool | PoolClient, entry: AuditEntry): Promise<void> {
  await db.query('INSERT INTO audit_log (actor, action, subject, reason, details) VALUES ($1, $2, $3, $4, $5)', [entry.actor, entry.action, entry.subject, entry.reason ?? null, JSON.stringify(entry.details ?? {})]);
}
