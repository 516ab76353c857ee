import type { Pool } from '../db/pool';

export interface Alert {
  kind: string;
  subject: string;
  message: string;
  details?: Record<string, unknown>;
}

/** An alert row: something a human should look at (a quality drop, a soft budget limit, …). */
export async function writeAlert(pool: Pool, alert: Alert): Promise<void> {
  await pool.query('INSERT INTO alerts (kind, subject, message, details) VALUES ($1, $2, $3, $4)', [
    alert.kind,
    alert.subject,
    alert.message,
    JSON.stringify(alert.details ?? {}),
  ]);
}
