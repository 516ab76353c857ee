import type { Pool } from '../db/pool';
import type { DrillCheck, DrillKind, DrillStatus, DrillView } from '../model/drill';

/** A drill's stored report. */
export interface DrillRun {
  workflowId: string;
  kind: DrillKind;
  tenant: string;
  dryRun: boolean;
  status: DrillStatus;
  checks: DrillCheck[];
  summary: string | null;
  startedAt: Date;
  endedAt: Date | null;
}

interface RunRow {
  workflow_id: string;
  kind: DrillKind;
  tenant_id: string;
  dry_run: boolean;
  status: DrillStatus;
  checks: DrillCheck[];
  summary: string | null;
  started_at: Date;
  ended_at: Date | null;
}

const toRun = (row: RunRow): DrillRun => ({
  workflowId: row.workflow_id,
  kind: row.kind,
  tenant: row.tenant_id,
  dryRun: row.dry_run,
  status: row.status,
  checks: row.checks,
  summary: row.summary,
  startedAt: row.started_at,
  endedAt: row.ended_at,
});

/**
 * Write the drill's report as it stands (idempotent: a retried write of the same view changes
 * nothing); its end time is set once, when the status first leaves `running`.
 */
export async function saveDrillRun(pool: Pool, view: DrillView): Promise<void> {
  await pool.query(
    `INSERT INTO drill_runs (workflow_id, kind, tenant_id, dry_run, status, checks, summary, ended_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $5 = 'running' THEN NULL ELSE now() END)
     ON CONFLICT (workflow_id) DO UPDATE SET status = EXCLUDED.status, checks = EXCLUDED.checks,
       summary = EXCLUDED.summary, ended_at = COALESCE(drill_runs.ended_at, EXCLUDED.ended_at)`,
    [
      view.workflowId,
      view.kind,
      view.tenant,
      view.dryRun,
      view.status,
      JSON.stringify(view.checks),
      view.summary ?? null,
    ],
  );
}

export async function listDrillRuns(
  pool: Pool,
  options: { kind?: DrillKind; limit?: number } = {},
): Promise<DrillRun[]> {
  const { rows } = await pool.query<RunRow>(
    `SELECT * FROM drill_runs WHERE $1::text IS NULL OR kind = $1 ORDER BY started_at DESC LIMIT $2`,
    [options.kind ?? null, options.limit ?? 20],
  );
  return rows.map(toRun);
}

/** When each kind last passed a real (not dry) drill, and when drills began here at all. */
export async function drillHistory(
  pool: Pool,
): Promise<{ firstDrillAt: Date | null; lastPassed: Map<DrillKind, Date> }> {
  const { rows } = await pool.query<{ kind: DrillKind | null; last_passed: Date | null; first_at: Date | null }>(
    `SELECT kind, max(ended_at) FILTER (WHERE status = 'passed' AND NOT dry_run) AS last_passed, min(started_at) AS first_at
     FROM drill_runs GROUP BY ROLLUP (kind)`,
  );
  const lastPassed = new Map<DrillKind, Date>();
  let firstDrillAt: Date | null = null;
  for (const row of rows) {
    if (row.kind === null) firstDrillAt = row.first_at;
    else if (row.last_passed) lastPassed.set(row.kind, row.last_passed);
  }
  return { firstDrillAt, lastPassed };
}
