import type { Pool } from '../db/pool';
import { NotFoundError } from '../errors';

export interface ReleaseRecord {
  prompt: string;
  version: string;
  workflowId: string;
  kind: 'promotion';
  startedBy: string;
  startedAt: Date;
}

export async function recordRelease(pool: Pool, release: Omit<ReleaseRecord, 'startedAt'>): Promise<void> {
  await pool.query(
    'INSERT INTO releases (prompt_name, prompt_version, workflow_id, kind, started_by) VALUES ($1, $2, $3, $4, $5)',
    [release.prompt, release.version, release.workflowId, release.kind, release.startedBy],
  );
}

/** The prompt's most recent release workflow: what `rollout status|approve|…` act on. */
export async function latestRelease(pool: Pool, prompt: string): Promise<ReleaseRecord> {
  const { rows } = await pool.query(
    'SELECT prompt_name, prompt_version, workflow_id, kind, started_by, started_at FROM releases WHERE prompt_name = $1 ORDER BY started_at DESC, id DESC LIMIT 1',
    [prompt],
  );
  if (!rows[0])
    throw new NotFoundError(
      `No release has been started for "${prompt}". Start one with \`flightdeck promote ${prompt}@<version> --dataset <file>\`.`,
    );
  const r = rows[0];
  return {
    prompt: r.prompt_name,
    version: r.prompt_version,
    workflowId: r.workflow_id,
    kind: r.kind,
    startedBy: r.started_by,
    startedAt: r.started_at,
  };
}
