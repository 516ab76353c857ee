import type { Pool } from '../db/pool';
import type { AttemptResult } from './canaryAttempts';
import {
  judgePrecision,
  reappeared,
  successRose,
  summarizeCanary,
  type AttemptOutcome,
  type CanarySummary,
} from './canaryStats';

/** Earlier runs of the same suite version pooled as the baseline of a rise. */
const BASELINE_RUNS = 4;

export async function beginCanaryRun(pool: Pool, workflowId: string, suiteVersion: string): Promise<void> {
  await pool.query(
    'INSERT INTO canary_runs (workflow_id, suite_version) VALUES ($1, $2) ON CONFLICT (workflow_id) DO NOTHING',
    [workflowId, suiteVersion],
  );
}

/** Store a batch's attempts; a retried batch's rows are kept once. */
export async function storeAttempts(pool: Pool, run: string, attempts: readonly AttemptResult[]): Promise<void> {
  if (!attempts.length) return;
  await pool.query(
    `INSERT INTO canary_attempts (run, prompt_name, variant, prompt_version, case_id, category, benign, attempt,
       request_id, succeeded, by_rule, by_judge, refused, error)
     SELECT $1, a.prompt, a.variant, a.version, a."caseId", a.category, a.benign, a.attempt, a."requestId",
       a.succeeded, a."byRule", a."byJudge", a.refused, a.error
     FROM jsonb_to_recordset($2::jsonb) AS a(prompt text, variant text, version text, "caseId" text, category text,
       benign boolean, attempt int, "requestId" text, succeeded boolean, "byRule" boolean, "byJudge" boolean,
       refused boolean, error text)
     ON CONFLICT DO NOTHING`,
    [run, JSON.stringify(attempts)],
  );
}

export interface CanaryAnalysis {
  summary: CanarySummary;
  /** Overall attack success against the pooled previous runs of this suite version. */
  rise: { rose: boolean; z: number; rise: number; baselineRuns: number };
  /** "prompt/case" attacks that were fixed in a later run and work again now. */
  reappeared: Array<{ prompt: string; caseId: string; requestIds: string[] }>;
  judge: { labelled: number; precision: number | null; recall: number | null };
}

/**
 * A run's statistics: success per OWASP category with Wilson intervals, over-refusal, the
 * guardrails that fired (joined from the request log), the rise against earlier runs, the attacks
 * that came back, and the judge's precision on the suite's labelled answers. Stored on the run.
 */
export async function analyzeCanaryRun(
  pool: Pool,
  run: string,
  judgeLabels: ReadonlyArray<{ complied: boolean; judged: boolean }>,
): Promise<CanaryAnalysis> {
  const { rows } = await pool.query<AttemptOutcome & { requestId: string | null }>(
    `SELECT a.prompt_name AS prompt, a.variant, a.case_id AS "caseId", a.category, a.benign, a.succeeded, a.refused,
       a.request_id AS "requestId",
       (SELECT coalesce(array_agg(DISTINCT g->>'id'), '{}') FROM requests r, jsonb_array_elements(r.guardrails) g
         WHERE r.request_id = a.request_id AND g->>'decision' <> 'allow') AS guardrails
     FROM canary_attempts a WHERE a.run = $1`,
    [run],
  );
  const summary = summarizeCanary(rows);
  const { rows: previous } = await pool.query<{ workflow_id: string; successes: string; attempts: string }>(
    `SELECT r.workflow_id, count(*) FILTER (WHERE a.succeeded) AS successes, count(*) AS attempts
     FROM canary_runs r JOIN canary_attempts a ON a.run = r.workflow_id AND NOT a.benign
     WHERE r.suite_version = (SELECT suite_version FROM canary_runs WHERE workflow_id = $1)
       AND r.workflow_id <> $1 AND r.ended_at IS NOT NULL
     GROUP BY r.workflow_id, r.started_at ORDER BY r.started_at DESC LIMIT ${BASELINE_RUNS}`,
    [run],
  );
  const baseline = previous.reduce(
    (sum, p) => ({ successes: sum.successes + Number(p.successes), attempts: sum.attempts + Number(p.attempts) }),
    { successes: 0, attempts: 0 },
  );
  const rise = {
    ...successRose({ successes: summary.overall.successes, attempts: summary.overall.attempts }, baseline),
    baselineRuns: previous.length,
  };

  // Each prompt and case's outcome per finished run (did any attempt succeed), oldest first, this run last.
  const { rows: history } = await pool.query<{ key: string; outcomes: boolean[] }>(
    `SELECT a.prompt_name || '/' || a.case_id AS key, array_agg(a.won ORDER BY a.started_at) AS outcomes
     FROM (SELECT a.prompt_name, a.case_id, r.started_at, bool_or(a.succeeded) AS won
           FROM canary_attempts a JOIN canary_runs r ON r.workflow_id = a.run
           WHERE NOT a.benign AND (r.ended_at IS NOT NULL OR r.workflow_id = $1)
             AND (a.prompt_name, a.case_id) IN (SELECT prompt_name, case_id FROM canary_attempts WHERE run = $1)
           GROUP BY a.prompt_name, a.case_id, r.workflow_id, r.started_at) a
     GROUP BY 1`,
    [run],
  );
  const back = reappeared(new Map(history.map((h) => [h.key, h.outcomes])));
  const analysis: CanaryAnalysis = {
    summary,
    rise,
    reappeared: back.map((key) => {
      const [prompt, caseId] = key.split('/') as [string, string];
      const requestIds = rows
        .filter((r) => r.prompt === prompt && r.caseId === caseId && r.succeeded && r.requestId)
        .map((r) => r.requestId!);
      return { prompt, caseId, requestIds };
    }),
    judge: judgePrecision(judgeLabels),
  };
  await pool.query('UPDATE canary_runs SET summary = $2, ended_at = now() WHERE workflow_id = $1', [
    run,
    JSON.stringify(analysis),
  ]);
  return analysis;
}

export interface StoredCanaryRun {
  workflowId: string;
  suiteVersion: string;
  startedAt: Date;
  endedAt: Date | null;
  analysis: CanaryAnalysis | null;
}

export async function listCanaryRuns(pool: Pool, limit = 5): Promise<StoredCanaryRun[]> {
  const { rows } = await pool.query<{
    workflow_id: string;
    suite_version: string;
    started_at: Date;
    ended_at: Date | null;
    summary: CanaryAnalysis | null;
  }>('SELECT * FROM canary_runs ORDER BY started_at DESC LIMIT $1', [limit]);
  return rows.map((r) => ({
    workflowId: r.workflow_id,
    suiteVersion: r.suite_version,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    analysis: r.summary,
  }));
}
