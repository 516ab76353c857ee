import type { Pool } from '../db/pool';
import { NotFoundError } from '../errors';
import type { IncidentKind, IncidentStatus } from '../model/incident';

export interface IncidentRecord {
  id: number;
  workflowId: string;
  kind: IncidentKind;
  key: string;
  status: IncidentStatus;
  reason: string;
  openedBy: string;
  alertKey: string | null;
  openedAt: Date;
  resolvedAt: Date | null;
  resolvedBy: string | null;
}

export interface IncidentStep {
  step: string;
  at: Date;
  actor: string;
  message: string;
  details: Record<string, unknown>;
}

interface IncidentRow {
  id: string;
  workflow_id: string;
  kind: IncidentKind;
  key: string;
  status: IncidentStatus;
  reason: string;
  opened_by: string;
  alert_key: string | null;
  opened_at: Date;
  resolved_at: Date | null;
  resolved_by: string | null;
}

const toRecord = (row: IncidentRow): IncidentRecord => ({
  id: Number(row.id),
  workflowId: row.workflow_id,
  kind: row.kind,
  key: row.key,
  status: row.status,
  reason: row.reason,
  openedBy: row.opened_by,
  alertKey: row.alert_key,
  openedAt: row.opened_at,
  resolvedAt: row.resolved_at,
  resolvedBy: row.resolved_by,
});

/** The incident of a workflow run, made once whatever the retries: returns its id. */
export async function openIncident(
  pool: Pool,
  opening: {
    workflowId: string;
    runId: string;
    kind: IncidentKind;
    key: string;
    reason: string;
    actor: string;
    alertKey?: string;
  },
): Promise<number> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO incidents (workflow_id, run_id, kind, key, status, reason, opened_by, alert_key)
     VALUES ($1, $2, $3, $4, 'mitigating', $5, $6, $7)
     ON CONFLICT (run_id) DO UPDATE SET run_id = EXCLUDED.run_id RETURNING id`,
    [
      opening.workflowId,
      opening.runId,
      opening.kind,
      opening.key,
      opening.reason,
      opening.actor,
      opening.alertKey ?? null,
    ],
  );
  return Number(rows[0]!.id);
}

/**
 * One step of the timeline, written once (a retried activity does not write it twice), and the
 * incident's status after it; a resolved incident's status no longer moves. True while the step has
 * not been notified (new, or written by an attempt that died before its notice went out).
 */
export async function recordIncidentStep(
  pool: Pool,
  incidentId: number,
  step: { step: string; actor: string; message: string; details?: object; status: IncidentStatus },
): Promise<boolean> {
  const { rows } = await pool.query<{ pending: boolean }>(
    `WITH event AS (
       INSERT INTO incident_events (incident_id, step, actor, message, details) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (incident_id, step) DO NOTHING RETURNING notified_at),
     moved AS (
       UPDATE incidents SET status = $6, updated_at = now(),
         resolved_at = CASE WHEN $6 = 'resolved' THEN now() END,
         resolved_by = CASE WHEN $6 = 'resolved' THEN $3 END
       WHERE id = $1 AND status <> 'resolved')
     SELECT coalesce((SELECT notified_at IS NULL FROM event),
                     (SELECT notified_at IS NULL FROM incident_events WHERE incident_id = $1 AND step = $2)) AS pending`,
    [incidentId, step.step, step.actor, step.message, JSON.stringify(step.details ?? {}), step.status],
  );
  return rows[0]!.pending;
}

/** The step's notice went out: a retry of its activity does not post it again. */
export async function markIncidentStepNotified(pool: Pool, incidentId: number, step: string): Promise<void> {
  await pool.query('UPDATE incident_events SET notified_at = now() WHERE incident_id = $1 AND step = $2', [
    incidentId,
    step,
  ]);
}

export async function listIncidents(
  pool: Pool,
  options: { all?: boolean; limit?: number } = {},
): Promise<IncidentRecord[]> {
  const { rows } = await pool.query<IncidentRow>(
    `SELECT * FROM incidents WHERE $1 OR status <> 'resolved' ORDER BY opened_at DESC LIMIT $2`,
    [options.all ?? false, options.limit ?? 100],
  );
  return rows.map(toRecord);
}

/** An incident by its number or its workflow id (the newest run), with its timeline. */
export async function getIncident(
  pool: Pool,
  idOrWorkflowId: string,
): Promise<IncidentRecord & { timeline: IncidentStep[] }> {
  const byNumber = /^\d{1,15}$/.test(idOrWorkflowId);
  const { rows } = await pool.query<IncidentRow>(
    byNumber
      ? 'SELECT * FROM incidents WHERE id = $1'
      : 'SELECT * FROM incidents WHERE workflow_id = $1 ORDER BY opened_at DESC LIMIT 1',
    [idOrWorkflowId],
  );
  if (!rows[0]) throw new NotFoundError(`No incident ${idOrWorkflowId}; see \`flightdeck incident list --all\``);
  const events = await pool.query<IncidentStep>(
    'SELECT step, at, actor, message, details FROM incident_events WHERE incident_id = $1 ORDER BY at, step',
    [rows[0].id],
  );
  return { ...toRecord(rows[0]), timeline: events.rows };
}
