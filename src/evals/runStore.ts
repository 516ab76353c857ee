import { randomUUID } from 'node:crypto';
import type { Pool } from '../db/pool';
import { NotFoundError } from '../errors';
import type { CaseResult } from './caseEvaluator';
import type { Dataset } from './dataset';

/** Datasets are stored by hash so a run (and a workflow on another machine) can find its cases. */
export async function storeDataset(pool: Pool, dataset: Dataset): Promise<void> {
  await pool.query(
    `INSERT INTO eval_datasets (hash, name, prompt_name, content) VALUES ($1, $2, $3, $4) ON CONFLICT (hash) DO NOTHING`,
    [dataset.hash, dataset.name, dataset.prompt ?? null, JSON.stringify(dataset)],
  );
}

export async function loadStoredDataset(pool: Pool, hash: string): Promise<Dataset> {
  const { rows } = await pool.query<{ content: Dataset }>('SELECT content FROM eval_datasets WHERE hash = $1', [hash]);
  if (!rows[0])
    throw new NotFoundError(
      `No stored dataset with hash ${hash.slice(0, 12)}; run \`flightdeck eval run\` or \`promote\` with --dataset to store it.`,
    );
  return rows[0].content;
}

/** The newest stored dataset per prompt that names one: what the scheduled eval runs. */
export async function datasetsByPrompt(pool: Pool): Promise<Array<{ prompt: string; hash: string }>> {
  const { rows } = await pool.query<{ prompt_name: string; hash: string }>(
    `SELECT DISTINCT ON (prompt_name) prompt_name, hash FROM eval_datasets WHERE prompt_name IS NOT NULL ORDER BY prompt_name, created_at DESC`,
  );
  return rows.map((r) => ({ prompt: r.prompt_name, hash: r.hash }));
}

export interface RunRecord {
  id: string;
  prompt: string;
  version: string;
  datasetHash: string;
  judgeModel?: string;
  repeat: number;
  gitCommit?: string;
}

export async function createRun(pool: Pool, run: Omit<RunRecord, 'id'> & { id?: string }): Promise<RunRecord> {
  const record = { ...run, id: run.id ?? randomUUID() };
  await pool.query(
    `INSERT INTO eval_runs (id, prompt_name, prompt_version, dataset_hash, judge_model, repeat, git_commit) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (id) DO NOTHING`,
    [
      record.id,
      record.prompt,
      record.version,
      record.datasetHash,
      record.judgeModel ?? null,
      record.repeat,
      record.gitCommit ?? null,
    ],
  );
  return record;
}

export async function loadRun(pool: Pool, id: string): Promise<RunRecord> {
  const { rows } = await pool.query('SELECT * FROM eval_runs WHERE id = $1', [id]);
  const row = rows[0];
  if (!row) throw new NotFoundError(`No eval run ${id}`);
  return {
    id,
    prompt: row.prompt_name,
    version: row.prompt_version,
    datasetHash: row.dataset_hash,
    judgeModel: row.judge_model ?? undefined,
    repeat: row.repeat,
    gitCommit: row.git_commit ?? undefined,
  };
}

/** Idempotent: a case stored once is never overwritten, so a retried chunk cannot double-count. */
export async function storeCaseResult(pool: Pool, runId: string, r: CaseResult): Promise<void> {
  await pool.query(
    `INSERT INTO eval_case_results (run_id, case_id, output, error, score, passed, assertions, latency_ms, cost_usd, input_tokens, output_tokens)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING`,
    [
      runId,
      r.caseId,
      r.output,
      r.error ?? null,
      r.score,
      r.passed,
      JSON.stringify(r.assertions),
      r.latencyMs,
      r.costUsd,
      r.inputTokens,
      r.outputTokens,
    ],
  );
}

/** Ids of the cases a run has stored: what a resumed chunk skips (without reading outputs back). */
export async function storedCaseIds(pool: Pool, runId: string): Promise<Set<string>> {
  const { rows } = await pool.query<{ case_id: string }>('SELECT case_id FROM eval_case_results WHERE run_id = $1', [
    runId,
  ]);
  return new Set(rows.map((r) => r.case_id));
}

export async function loadCaseResults(pool: Pool, runId: string): Promise<CaseResult[]> {
  const { rows } = await pool.query('SELECT * FROM eval_case_results WHERE run_id = $1 ORDER BY case_id', [runId]);
  return rows.map((row) => ({
    caseId: row.case_id,
    output: row.output ?? '',
    error: row.error ?? undefined,
    score: row.score,
    passed: row.passed,
    assertions: row.assertions,
    latencyMs: row.latency_ms ?? 0,
    costUsd: row.cost_usd ?? 0,
    inputTokens: row.input_tokens ?? 0,
    outputTokens: row.output_tokens ?? 0,
  }));
}

export async function finishRun(pool: Pool, id: string, summary: unknown): Promise<void> {
  await pool.query(`UPDATE eval_runs SET status = 'finished', summary = $2, finished_at = now() WHERE id = $1`, [
    id,
    JSON.stringify(summary),
  ]);
}

export interface StoredSummary {
  metrics: Record<string, { mean: number }>;
  gate?: { passed: boolean };
}

export async function loadRunSummary(pool: Pool, runId: string): Promise<StoredSummary | undefined> {
  const { rows } = await pool.query<{ summary: StoredSummary | null }>('SELECT summary FROM eval_runs WHERE id = $1', [
    runId,
  ]);
  return rows[0]?.summary ?? undefined;
}

/** The latest finished run of this prompt on this dataset whose gate passed (other than `excludeRunId`). */
export async function lastPassingRun(
  pool: Pool,
  prompt: string,
  datasetHash: string,
  excludeRunId: string,
): Promise<{ id: string; version: string; summary: StoredSummary } | undefined> {
  const { rows } = await pool.query(
    `SELECT id, prompt_version, summary FROM eval_runs
     WHERE prompt_name = $1 AND dataset_hash = $2 AND status = 'finished' AND id <> $3 AND (summary->'gate'->>'passed')::boolean
     ORDER BY finished_at DESC LIMIT 1`,
    [prompt, datasetHash, excludeRunId],
  );
  return rows[0] ? { id: rows[0].id, version: rows[0].prompt_version, summary: rows[0].summary } : undefined;
}
