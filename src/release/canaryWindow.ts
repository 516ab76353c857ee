import type { GuardrailAction } from '../guardrails/decision';
import { GUARDRAIL_IDS } from '../guardrails/guardrailIds';
import { emptyWindow, type VariantWindow } from '../analysis/canaryJudge';
import type { Pool } from '../db/pool';

export interface WindowQuery {
  prompt: string;
  candidateVersion: string;
  from: Date;
  to: Date;
  /** Compare the shadow's answers with the served answers they mirrored, instead of candidate with stable traffic. */
  shadow?: boolean;
  /** Leave this tenant's candidate (or shadow) requests out: is a failure still a failure without it? */
  withoutTenant?: string;
}

interface WindowRow {
  side: 'candidate' | 'stable';
  requests: string;
  errors: string;
  refusals: string;
  blocks: string;
  invalid_json: string;
  negative: string;
  feedback: string;
  latencies: number[] | null;
  ttfts: number[] | null;
  costs: string[] | null;
  chars: number[] | null;
  scores: number[] | null;
}

/**
 * Which requests each side of the comparison holds; $1 prompt, $2-$3 window, $4 candidate version,
 * $6 a tenant left out of the candidate side (or null). Requests the caller hung up on (499) are
 * the caller's doing, not the version's: they are on neither side.
 */
const CANARY_SAMPLE = `SELECT request_id, CASE variant WHEN 'candidate' THEN 'candidate' ELSE 'stable' END AS side
  FROM requests WHERE prompt_name = $1 AND ts >= $2 AND ts < $3 AND status <> 499
    AND (variant = 'stable' OR (variant = 'candidate' AND prompt_version = $4 AND ($6::text IS NULL OR tenant_id IS DISTINCT FROM $6)))`;
const SHADOW_SAMPLE = `SELECT request_id, 'candidate' AS side FROM requests
  WHERE prompt_name = $1 AND ts >= $2 AND ts < $3 AND variant = 'shadow' AND prompt_version = $4 AND ($6::text IS NULL OR tenant_id IS DISTINCT FROM $6)
  UNION ALL
  SELECT shadow_of, 'stable' FROM requests
  WHERE prompt_name = $1 AND ts >= $2 AND ts < $3 AND variant = 'shadow' AND prompt_version = $4 AND ($6::text IS NULL OR tenant_id IS DISTINCT FROM $6)`;

export function windowSample(query: WindowQuery): string {
  return query.shadow ? SHADOW_SAMPLE : CANARY_SAMPLE;
}

/** The parameters `windowSample` refers to, with the caller's own as $5. */
export function windowSampleParams(query: WindowQuery, fifth: unknown): unknown[] {
  return [query.prompt, query.from, query.to, query.candidateVersion, fifth, query.withoutTenant ?? null];
}

/**
 * Latency, TTFT, cost and length are compared on a random sample of at most this many served
 * requests per side: at 1% the stable side has ~100 times the canary's rows, and a Mann-Whitney
 * test over 100k values every interval costs a quarter second for almost no added power (the
 * canary's own count limits it). Counts (errors, refusals, blocks, feedback) always use every row.
 */
export const DISTRIBUTION_SAMPLE_CAP = 2000;

/** SQL: the request's guardrail records hold this guardrail (with this decision). Ids are our constants, never input. */
const guardrailRan = (id: string, decision?: GuardrailAction) =>
  `r.guardrails @> '${JSON.stringify([decision ? { id, decision } : { id }])}'`;

/**
 * What the candidate and the stable version of a prompt did in the same window, from the request
 * log, feedback and judge samples: the input of one canary analysis. Server errors count as errors;
 * latency, TTFT, cost and length come from (a sample of) served requests only.
 */
export async function readCanaryWindow(
  pool: Pool,
  query: WindowQuery,
): Promise<{ candidate: VariantWindow; stable: VariantWindow }> {
  const { rows } = await pool.query<WindowRow>(
    `WITH sample AS (${windowSample(query)}),
          ranked AS (SELECT request_id, side, row_number() OVER (PARTITION BY side ORDER BY random()) AS rn FROM sample)
     SELECT s.side,
            count(*) AS requests,
            count(*) FILTER (WHERE r.status >= 500) AS errors,
            count(*) FILTER (WHERE ${guardrailRan(GUARDRAIL_IDS.outputRefusal, 'flag')}) AS refusals,
            count(*) FILTER (WHERE r.guardrail_decision = 'block') AS blocks,
            count(*) FILTER (WHERE ${guardrailRan(GUARDRAIL_IDS.outputJsonSchema)} AND NOT ${guardrailRan(GUARDRAIL_IDS.outputJsonSchema, 'allow')}) AS invalid_json,
            count(f.request_id) FILTER (WHERE f.score < 0) AS negative,
            count(f.request_id) AS feedback,
            array_agg(r.latency_ms_total) FILTER (WHERE r.status = 200 AND s.rn <= $5) AS latencies,
            array_agg(r.ttft_ms) FILTER (WHERE r.status = 200 AND s.rn <= $5 AND r.ttft_ms IS NOT NULL) AS ttfts,
            array_agg(r.cost_usd) FILTER (WHERE r.status = 200 AND s.rn <= $5) AS costs,
            array_agg(r.output_chars) FILTER (WHERE r.status = 200 AND s.rn <= $5) AS chars,
            array_agg(j.score) FILTER (WHERE j.score IS NOT NULL) AS scores
     FROM ranked s
     JOIN requests r ON r.request_id = s.request_id
     LEFT JOIN (SELECT DISTINCT ON (request_id) request_id, score FROM feedback ORDER BY request_id, id DESC) f ON f.request_id = r.request_id
     LEFT JOIN judge_samples j ON j.request_id = r.request_id
     GROUP BY s.side`,
    windowSampleParams(query, DISTRIBUTION_SAMPLE_CAP),
  );
  const windows = { candidate: emptyWindow(), stable: emptyWindow() };
  for (const row of rows) {
    windows[row.side] = {
      requests: Number(row.requests),
      errors: Number(row.errors),
      refusals: Number(row.refusals),
      guardrailBlocks: Number(row.blocks),
      negativeFeedback: Number(row.negative),
      feedback: Number(row.feedback),
      latenciesMs: row.latencies ?? [],
      ttftsMs: row.ttfts ?? [],
      costsUsd: (row.costs ?? []).map(Number),
      judgeScores: row.scores ?? [],
      outputChars: row.chars ?? [],
      invalidJson: Number(row.invalid_json),
    };
  }
  return windows;
}

/**
 * The tenants behind the most bad events on the candidate side (server errors, blocks, negative
 * feedback), then the most requests: the ones whose absence could change a failing verdict.
 */
export async function leadingCandidateTenants(pool: Pool, query: WindowQuery, limit = 3): Promise<string[]> {
  const { rows } = await pool.query<{ tenant_id: string }>(
    `WITH sample AS (${windowSample(query)})
     SELECT r.tenant_id
     FROM sample s JOIN requests r ON r.request_id = s.request_id
     LEFT JOIN (SELECT request_id, bool_or(score < 0) AS negative FROM feedback GROUP BY request_id) f ON f.request_id = r.request_id
     WHERE s.side = 'candidate' AND r.tenant_id IS NOT NULL
     GROUP BY r.tenant_id
     ORDER BY count(*) FILTER (WHERE r.status >= 500 OR r.guardrail_decision = 'block' OR f.negative) DESC, count(*) DESC
     LIMIT $5`,
    windowSampleParams(query, limit),
  );
  return rows.map((row) => row.tenant_id);
}
