import type { VariantWindow } from '../analysis/canaryJudge';
import type { Pool } from '../db/pool';

interface WindowRow {
  variant: string;
  requests: string;
  errors: string;
  refusals: string;
  blocks: string;
  negative: string;
  feedback: string;
  latencies: number[] | null;
  ttfts: number[] | null;
  costs: string[] | null;
}

const empty = (): VariantWindow => ({ requests: 0, errors: 0, refusals: 0, guardrailBlocks: 0, negativeFeedback: 0, feedback: 0, latenciesMs: [], ttftsMs: [], costsUsd: [], judgeScores: [] });

/**
 * What the candidate and the stable version of a prompt did in the same window, from the request
 * log and feedback: the input of one canary analysis. Server errors count as errors; latency, TTFT
 * and cost come from served requests only. (Judge scores of sampled outputs are added by the caller.)
 */
export async function readCanaryWindow(pool: Pool, prompt: string, from: Date, to: Date): Promise<{ candidate: VariantWindow; stable: VariantWindow }> {
  const { rows } = await pool.query<WindowRow>(
    `SELECT r.variant,
            count(*) AS requests,
            count(*) FILTER (WHERE r.status >= 500) AS errors,
            count(*) FILTER (WHERE r.guardrails @> '[{"id": "output.refusal", "decision": "flag"}]') AS refusals,
            count(*) FILTER (WHERE r.guardrail_decision = 'block') AS blocks,
            count(f.request_id) FILTER (WHERE f.score < 0) AS negative,
            count(f.request_id) AS feedback,
            array_agg(r.latency_ms_total) FILTER (WHERE r.status = 200) AS latencies,
            array_agg(r.ttft_ms) FILTER (WHERE r.status = 200 AND r.ttft_ms IS NOT NULL) AS ttfts,
            array_agg(r.cost_usd) FILTER (WHERE r.status = 200) AS costs
     FROM requests r
     LEFT JOIN (SELECT DISTINCT ON (request_id) request_id, score FROM feedback ORDER BY request_id, id DESC) f ON f.request_id = r.request_id
     WHERE r.prompt_name = $1 AND r.ts >= $2 AND r.ts < $3 AND r.variant IN ('stable', 'candidate')
     GROUP BY r.variant`,
    [prompt, from, to],
  );
  const windows = { candidate: empty(), stable: empty() };
  for (const row of rows) {
    windows[row.variant as 'candidate' | 'stable'] = {
      requests: Number(row.requests),
      errors: Number(row.errors),
      refusals: Number(row.refusals),
      guardrailBlocks: Number(row.blocks),
      negativeFeedback: Number(row.negative),
      feedback: Number(row.feedback),
      latenciesMs: row.latencies ?? [],
      ttftsMs: row.ttfts ?? [],
      costsUsd: (row.costs ?? []).map(Number),
      judgeScores: [],
    };
  }
  return windows;
}
