import type { Pool } from '../db/pool';
import type { Judge } from '../evals/judge';
import { gradeLiveAnswer } from '../evals/liveAnswerGrade';
import type { ChatMessage } from '../providers/types';
import type { JudgeSampling } from './monitorRules';

export interface AnswerSamplingOutcome {
  /** Answers in the sample still unjudged when the run started (at most max_per_run). */
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

/** How far back a run looks for unjudged answers: a few missed runs lose nothing. */
const LOOKBACK_MINUTES = 60;
/** The sample is chosen by a hash of the request id: 2^20 slots, `share` of them in. */
const HASH_SLOTS = 1 << 20;

interface Candidate {
  request_id: string;
  ts: Date;
  messages: ChatMessage[];
  output: string;
}

/**
 * Judge the sampled share of recent production answers (served, not synthetic, not shadow) that
 * have no score yet, within the day's judge budget. The sample is stable (a request is in it or not
 * by its id), each request is judged once, and the day's spend is read back from the stored scores,
 * so a retried or restarted run (the schedule runs one at a time) passes the budget by one call at most.
 */
export async function judgeSampledAnswers(
  pool: Pool,
  judge: Judge,
  sampling: JudgeSampling,
  now = new Date(),
): Promise<AnswerSamplingOutcome> {
  const spent = async () =>
    Number(
      (
        await pool.query<{ usd: string }>(
          `SELECT coalesce(sum(cost_usd), 0) AS usd FROM judge_samples
           WHERE source = 'production' AND at >= date_trunc('day', $1::timestamptz, 'UTC')`,
          [now],
        )
      ).rows[0]!.usd,
    );
  const outcome: AnswerSamplingOutcome = {
    candidates: 0,
    judged: 0,
    cached: 0,
    failed: 0,
    spentTodayUsd: await spent(),
    budgetUsd: sampling.daily_budget_usd,
    budgetReached: false,
  };
  if (sampling.share <= 0 && sampling.min_per_prompt_hour <= 0) return outcome;
  // In the sample: a request whose id hashes into the share, or one of the first min_per_prompt_hour
  // of its prompt's clock hour in hash order (both stable: a request is in or out by its id).
  const { rows } = await pool.query<Candidate>(
    `WITH recent AS (
       SELECT r.request_id, r.ts, b.messages, b.output,
         (hashtextextended(r.request_id, 0) & ${HASH_SLOTS - 1}) AS slot,
         row_number() OVER (PARTITION BY coalesce(r.prompt_name, ''), date_trunc('hour', r.ts)
                            ORDER BY hashtextextended(r.request_id, 0), r.request_id) AS hour_rank
       FROM requests r JOIN request_bodies b ON b.request_id = r.request_id AND b.ts = r.ts
       WHERE r.ts >= $1::timestamptz - make_interval(mins => $2) AND r.ts < $1 AND r.status = 200
         AND NOT r.synthetic AND r.shadow_of IS NULL AND b.output IS NOT NULL)
     SELECT request_id, ts, messages, output FROM recent
     WHERE (slot < $3 OR hour_rank <= $5)
       AND NOT EXISTS (SELECT 1 FROM judge_samples j WHERE j.request_id = recent.request_id)
     ORDER BY ts DESC LIMIT $4`,
    [
      now,
      LOOKBACK_MINUTES,
      Math.round(sampling.share * HASH_SLOTS),
      sampling.max_per_run,
      sampling.min_per_prompt_hour,
    ],
  );
  outcome.candidates = rows.length;
  for (const row of rows) {
    if (outcome.spentTodayUsd >= sampling.daily_budget_usd) {
      outcome.budgetReached = true;
      break;
    }
    try {
      const graded = await gradeLiveAnswer(judge, row.messages, row.output);
      await pool.query(
        `INSERT INTO judge_samples (request_id, judge_model, score, request_ts, cost_usd, source)
         VALUES ($1, $2, $3, $4, $5, 'production') ON CONFLICT (request_id) DO NOTHING`,
        [row.request_id, judge.model, graded.score, row.ts, graded.costUsd],
      );
      outcome.judged += 1;
      if (graded.cached) outcome.cached += 1;
      outcome.spentTodayUsd += graded.costUsd;
    } catch {
      // A judge that fails one answer does not stop the run; the answer stays unjudged for the next run.
      outcome.failed += 1;
    }
  }
  if (outcome.failed && !outcome.judged) throw new Error(`the judge failed all ${outcome.failed} sampled answers`);
  return outcome;
}
