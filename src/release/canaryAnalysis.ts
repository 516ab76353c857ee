import { DEFAULT_RULES, SHADOW_RULES, judgeWindow } from '../analysis/canaryJudge';
import type { AnalysisOutcome, MetricVerdict, Verdict } from '../model/canaryVerdict';
import type { Pool } from '../db/pool';
import type { Judge } from '../evals/judge';
import { leadingCandidateTenants, readCanaryWindow, type WindowQuery } from './canaryWindow';
import { scoreSampledOutputs } from './judgeSampling';

export interface AnalysisRequest {
  workflowId: string;
  prompt: string;
  candidateVersion: string;
  stepIndex: number;
  weightBp: number;
  shadow: boolean;
  /** ISO times; `to` comes from the workflow, so a retried analysis asks the same question. */
  from: string;
  to: string;
  /** Live answers per side the judge scores in this interval. */
  judgeSamples: number;
}

interface StoredAnalysis {
  verdict: Verdict;
  canary_requests: number;
  baseline_requests: number;
  metrics: MetricVerdict[];
}

const fromRow = (row: StoredAnalysis): AnalysisOutcome => ({
  verdict: row.verdict,
  canaryRequests: row.canary_requests,
  baselineRequests: row.baseline_requests,
  metrics: row.metrics,
});

/**
 * A tenant without whose candidate requests the failure goes away, if any: such a window is
 * inconclusive, since one tenant (hanging up, blocking itself, voting down) must not abort a canary
 * for everyone. With a single tenant on the candidate side there is nobody else to ask, and its
 * experience stands.
 */
async function soleDecider(pool: Pool, query: WindowQuery, rules: typeof DEFAULT_RULES): Promise<string | undefined> {
  const leading = await leadingCandidateTenants(pool, query);
  if (leading.length < 2) return undefined;
  for (const tenant of leading) {
    const without = await readCanaryWindow(pool, { ...query, withoutTenant: tenant });
    if (judgeWindow(without.candidate, without.stable, rules).verdict !== 'fail') return tenant;
  }
  return undefined;
}

/**
 * One analysis interval of a rollout step: judge sampled answers, read the window (candidate and
 * stable in the same time range, or shadow against what it mirrored), judge every metric and store
 * the verdict with its numbers. Asked again for the same interval (a retry after a worker died),
 * it returns the stored verdict instead of deciding twice.
 */
export async function analyseCanary(
  pool: Pool,
  judge: Judge | undefined,
  request: AnalysisRequest,
): Promise<AnalysisOutcome> {
  const stored = await pool.query<StoredAnalysis>(
    'SELECT verdict, canary_requests, baseline_requests, metrics FROM rollout_analyses WHERE workflow_id = $1 AND step_index = $2 AND window_to = $3',
    [request.workflowId, request.stepIndex, request.to],
  );
  if (stored.rows[0]) return fromRow(stored.rows[0]);

  const query: WindowQuery = {
    prompt: request.prompt,
    candidateVersion: request.candidateVersion,
    from: new Date(request.from),
    to: new Date(request.to),
    shadow: request.shadow,
  };
  if (judge) await scoreSampledOutputs(pool, judge, query, request.judgeSamples);
  const rules = request.shadow ? SHADOW_RULES : DEFAULT_RULES;
  const window = await readCanaryWindow(pool, query);
  const judged = judgeWindow(window.candidate, window.stable, rules);
  const outcome: AnalysisOutcome = {
    verdict: judged.verdict,
    canaryRequests: window.candidate.requests,
    baselineRequests: window.stable.requests,
    metrics: judged.metrics,
  };
  if (judged.verdict === 'fail') {
    const decider = await soleDecider(pool, query, rules);
    if (decider) {
      outcome.verdict = 'inconclusive';
      outcome.error = `the failure rests on tenant ${decider} alone (without it the candidate does not fail); one tenant does not decide a canary`;
    }
  }
  const inserted = await pool.query<StoredAnalysis>(
    `INSERT INTO rollout_analyses (workflow_id, prompt_name, candidate_version, step_index, weight_bp, shadow, window_from, window_to, verdict, canary_requests, baseline_requests, metrics)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     ON CONFLICT (workflow_id, step_index, window_to) DO NOTHING
     RETURNING verdict, canary_requests, baseline_requests, metrics`,
    [
      request.workflowId,
      request.prompt,
      request.candidateVersion,
      request.stepIndex,
      request.weightBp,
      request.shadow,
      request.from,
      request.to,
      outcome.verdict,
      outcome.canaryRequests,
      outcome.baselineRequests,
      JSON.stringify(outcome.metrics),
    ],
  );
  if (inserted.rows[0]) return outcome;
  // Another attempt stored this interval first: its verdict is the one on record.
  return analyseCanary(pool, judge, request);
}
