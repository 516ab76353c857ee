import { z } from 'zod';
import type { Pool } from '../db/pool';
import type { Judge } from '../evals/judge';
import { judgeAnswers, sampledShare, type JudgeCandidate, type JudgingOutcome } from './answerSampling';
import type { SampleStats } from './detectors';
import type { JudgeSampling, MonitorRule } from './monitorRules';
import { scope } from './ruleScope';

/** Fewer sampled scores than this say nothing, not even a suspicion. */
const MIN_SUSPECT_SAMPLES = 3;
/**
 * A confirmation judges a quarter more than the rule needs, so the window still holds enough a
 * minute later, when its oldest minute has left it.
 */
const HEADROOM = 1.25;

/**
 * How many more of a series' recent answers to judge now (0: none). The share sampled for the judge
 * gives a prompt a few scores in a short window: enough to suspect a drop (their mean `suspectZ`
 * standard errors below the baseline's), far too few to decide one at the rule's z. Judging more of
 * the answers already served in that window decides it at the next pass, where waiting for the
 * share to accumulate took over an hour on a quiet prompt. Suspicions are cheap to clear: a window
 * topped up once needs only its newest minute topped up after.
 */
export function answersToConfirm(
  current: SampleStats,
  baseline: SampleStats,
  options: { suspectZ: number; minSamples: number },
): number {
  const { suspectZ, minSamples } = options;
  if (suspectZ <= 0 || baseline.n < minSamples || current.n < MIN_SUSPECT_SAMPLES || current.n >= minSamples) return 0;
  // The baseline's spread, not the window's: three scores barely estimate their own.
  const z = (baseline.mean - current.mean) / (Math.max(baseline.sd, 1e-9) / Math.sqrt(current.n));
  return z >= suspectZ ? Math.ceil(minSamples * HEADROOM) - current.n : 0;
}

/** A pass's request to judge more of one series' answers (the monitor workflow starts one child each). */
export const confirmationSchema = z.strictObject({
  ruleId: z.string().min(1).max(63),
  /** The alert key of the series, e.g. prompt-judge-score:prompt=support (the child's workflow id). */
  key: z.string().min(1).max(1000),
  series: z
    .record(z.string().max(20), z.string().max(500))
    .refine((s) => Object.keys(s).length <= 4, 'at most 4 dimensions'),
  answers: z.number().int().min(1).max(1000),
  from: z.iso.datetime(),
  until: z.iso.datetime(),
});
export type Confirmation = z.infer<typeof confirmationSchema>;

/**
 * Judge up to `answers` of the series' served answers in [from, until), newest first, leaving out
 * those the sampled share will judge (they feed the baselines), and store them as confirmation
 * samples: the windows count them, the baselines do not.
 */
export async function judgeConfirmation(
  pool: Pool,
  judge: Judge,
  rule: MonitorRule,
  sampling: JudgeSampling,
  confirmation: Confirmation,
  now = new Date(),
): Promise<JudgingOutcome> {
  const s = scope(rule);
  const values = rule.by.map((dimension) => {
    const value = confirmation.series[dimension];
    if (value === undefined) throw new Error(`the confirmation of ${confirmation.key} names no ${dimension}`);
    return value;
  });
  const { rows } = await pool.query<JudgeCandidate>(
    `SELECT r.request_id, r.ts, b.messages, b.output
     FROM requests r JOIN request_bodies b ON b.request_id = r.request_id AND b.ts = r.ts
     WHERE r.ts >= $1 AND r.ts < $2 AND r.status = 200 AND r.shadow_of IS NULL AND b.output IS NOT NULL
       AND NOT ${sampledShare('r.request_id', '$4')} ${s.filtersRows} ${s.seriesRows(5)}
       AND NOT EXISTS (SELECT 1 FROM judge_samples j WHERE j.request_id = r.request_id)
     ORDER BY r.ts DESC LIMIT $3`,
    [confirmation.from, confirmation.until, confirmation.answers, sampling.share, ...values],
  );
  return judgeAnswers(pool, judge, rows, 'confirmation', sampling.daily_budget_usd, now);
}
