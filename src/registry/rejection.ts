import { recordAudit } from '../audit/auditLog';
import { withTransaction, type Pool } from '../db/pool';
import { NotFoundError } from '../errors';

export interface Rejection {
  reason: string;
  actor: string;
  /** The eval report or whatever the decision was made on. */
  report?: string;
}

/**
 * Mark a version rejected (it can no longer be labelled) and keep why. The version stays
 * registered and visible in history; a fix is a new version. Idempotent.
 */
export function rejectVersion(pool: Pool, name: string, version: string, rejection: Rejection): Promise<void> {
  return withTransaction(pool, async (client) => {
    const updated = await client.query(
      `UPDATE prompt_versions SET status = 'rejected', rejection = $3 WHERE prompt_name = $1 AND version = $2 AND status <> 'rejected'`,
      [name, version, JSON.stringify({ ...rejection, at: new Date().toISOString() })],
    );
    if (!updated.rowCount) {
      const exists = await client.query('SELECT 1 FROM prompt_versions WHERE prompt_name = $1 AND version = $2', [
        name,
        version,
      ]);
      if (!exists.rowCount) throw new NotFoundError(`Prompt "${name}" has no version "${version}"`);
      return;
    }
    await recordAudit(client, {
      actor: rejection.actor,
      action: 'prompt.reject',
      subject: name,
      toValue: version,
      reason: rejection.reason,
    });
  });
}
