import type { Pool } from '../db/pool';
import { mapWithConcurrency } from '../evals/concurrency';
import type { Judge } from '../evals/judge';
import { gradeLiveAnswer } from '../evals/liveAnswerGrade';
import type { ChatMessage } from '../providers/types';
import { windowSample, windowSampleParams, type WindowQuery } from './canaryWindow';

interface SampledOutput {
  request_id: string;
  messages: ChatMessage[];
  output: string;
}

/**
 * Judge a random sample of the window's answers that have no score yet, up to `perSide` on each
 * side of the comparison; scores are stored per request, so later windows reuse them and a
 * request is never judged twice. Returns how many were scored now.
 */
export async function scoreSampledOutputs(
  pool: Pool,
  judge: Judge,
  query: WindowQuery,
  perSide: number,
): Promise<number> {
  if (perSide <= 0) return 0;
  const { rows } = await pool.query<SampledOutput>(
    `WITH sample AS (${windowSample(query)}),
          unscored AS (
            SELECT s.request_id, row_number() OVER (PARTITION BY s.side ORDER BY random()) AS n
            FROM sample s
            JOIN requests r ON r.request_id = s.request_id AND r.status = 200
            WHERE NOT EXISTS (SELECT 1 FROM judge_samples j WHERE j.request_id = s.request_id))
     SELECT b.request_id, b.messages, b.output
     FROM unscored u JOIN request_bodies b ON b.request_id = u.request_id
     WHERE u.n <= $5 AND b.output IS NOT NULL`,
    windowSampleParams(query, perSide),
  );
  await mapWithConcurrency(rows, 8, async (row) => {
    const graded = await gradeLiveAnswer(judge, row.messages, row.output);
    await pool.query(
      'INSERT INTO judge_samples (request_id, judge_model, score) VALUES ($1, $2, $3) ON CONFLICT (request_id) DO NOTHING',
      [row.request_id, judge.model, graded.score],
    );
  });
  return rows.length;
}
