import type { Pool } from '../db/pool';
import { mapWithConcurrency } from '../evals/concurrency';
import type { Judge } from '../evals/judge';
import { gradeLiveAnswer } from '../evals/liveAnswerGrade';
import type { ChatMessage } from '../providers/types';
import type { JudgeSampling } from './monitorRules';

/** What one run of the judge over production answers did, and the day's judge budget after it. */
export interface JudgingOutcome {
  /** Answers found unjudged when the run started (at most those it may take). */
  candidates: number;
  judged: number;
  /** Judge scores that came from the judge cache (an identical answer judged before): free. */
  cached: number;
  failed: number;
  spentTodayUsd: number;
  budgetUsd: number;
  /** True when the run stopped at the day's budget with answers left unjudged. */
  budgetReached: boolean;
}

/** A served answer to judge. */
export interface JudgeCandidate {
  request_id: string;
  ts: Date;
  messages: ChatMessage[];
  output: string;
}

/** Judge calls in flight at once: a confirmation of 60 answers is judged before the next pass. */
const JUDGE_CONCURRENCY = 4;

/**
 * Judge answers and store their scores as `source`, each request once, within the day's judge budget
 * (the sampled share and confirmations share it). The day's spend is read back from the stored
 * scores, so a retried or restarted run passes the budget by the calls in flight at most.
 */
export async function judgeAnswers(
  pool: Pool,
  judge: Judge,
  candidates: readonly JudgeCandidate[],
  source: 'production' | 'confirmation',
  budgetUsd: number,
  now: Date,
): Promise<JudgingOutcome> {
  const { rows } = await pool.query<{ usd: string }>(
    `SELECT coalesce(sum(cost_usd), 0) AS usd FROM judge_samples
     WHERE source <> 'canary' AND at >= date_trunc('day', $1::timestamptz, 'UTC')`,
    [now],
  );
  const outcome: JudgingOutcome = {
    candidates: candidates.length,
    judged: 0,
    cached: 0,
    failed: 0,
    spentTodayUsd: Number(rows[0]!.usd),
    budgetUsd,
    budgetReached: false,
  };
  const judgeOne = async (candidate: JudgeCandidate) => {
    try {
      const graded = await gradeLiveAnswer(judge, candidate.messages, candidate.output);
      await pool.query(
        `INSERT INTO judge_samples (request_id, judge_model, score, request_ts, cost_usd, source)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (request_id) DO NOTHING`,
        [candidate.request_id, judge.model, graded.score, candidate.ts, graded.costUsd, source],
      );
      outcome.judged += 1;
      if (graded.cached) outcome.cached += 1;
      outcome.spentTodayUsd += graded.costUsd;
    } catch {
      // A judge that fails one answer does not stop the run; the answer stays unjudged for the next run.
      outcome.failed += 1;
    }
  };
  await mapWithConcurrency(candidates, JUDGE_CONCURRENCY, async (candidate) => {
    if (outcome.spentTodayUsd >= budgetUsd) outcome.budgetReached = true;
    else await judgeOne(candidate);
  });
  return outcome;
}

/** How far back a run looks for unjudged answers: a few missed runs lose nothing. */
const LOOKBACK_MINUTES = 60;
/** The sample is chosen by a hash of the request id: 2^20 slots, `share` of them in. */
const HASH_SLOTS = 1 << 20;
/** SQL: whether the request id (an expression) is in the sampled share (a parameter, 0 to 1). */
export const sampledShare = (requestId: string, share: string) =>
  `(hashtextextended(${requestId}, 0) & ${HASH_SLOTS - 1}) < round(${share}::float8 * ${HASH_SLOTS})`;

/**
 * Judge the sampled share of recent production answers (served, not synthetic, not shadow) that
 * have no score yet, within the day's judge budget. The sample is stable (a request is in it or not
 * by its id) and each request is judged once.
 */
export async function judgeSampledAnswers(
  pool: Pool,
  judge: Judge,
  sampling: JudgeSampling,
  now = new Date(),
): Promise<JudgingOutcome> {
  if (sampling.share <= 0 && sampling.min_per_prompt_hour <= 0)
    return judgeAnswers(pool, judge, [], 'production', sampling.daily_budget_usd, now);
  // In the sample: a request whose id hashes into the share, or one of the first min_per_prompt_hour
  // of its prompt's clock hour in hash order (both stable: a request is in or out by its id).
  const { rows } = await pool.query<JudgeCandidate>(
    `WITH recent AS (
       SELECT r.request_id, r.ts, b.messages, b.output, ${sampledShare('r.request_id', '$3')} AS in_share,
         row_number() OVER (PARTITION BY coalesce(r.prompt_name, ''), date_trunc('hour', r.ts)
                            ORDER BY hashtextextended(r.request_id, 0), r.request_id) AS hour_rank
       FROM requests r JOIN request_bodies b ON b.request_id = r.request_id AND b.ts = r.ts
       WHERE r.ts >= $1::timestamptz - make_interval(mins => $2) AND r.ts < $1 AND r.status = 200
         AND NOT r.synthetic AND r.shadow_of IS NULL AND b.output IS NOT NULL)
     SELECT request_id, ts, messages, output FROM recent
     WHERE (in_share OR hour_rank <= $5)
       AND NOT EXISTS (SELECT 1 FROM judge_samples j WHERE j.request_id = recent.request_id)
     ORDER BY ts DESC LIMIT $4`,
    [now, LOOKBACK_MINUTES, sampling.share, sampling.max_per_run, sampling.min_per_prompt_hour],
  );
  const outcome = await judgeAnswers(pool, judge, rows, 'production', sampling.daily_budget_usd, now);
  if (outcome.failed && !outcome.judged) throw new Error(`the judge failed all ${outcome.failed} sampled answers`);
  return outcome;
}
