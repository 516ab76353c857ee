import type { Pool } from '../db/pool';

/** One bad answer kept as evidence: enough to find its trace, replay it, and turn it into a test case. */
export interface EvidenceAnswer {
  requestId: string;
  at: string;
  version: string | null;
  score: number;
  traceId: string | null;
  /** The last user message and the answer, as stored (PII redacted), cut to 2,000 characters. */
  input: string | null;
  output: string | null;
}

const MAX_CHARS = 2000;

/** The prompt's worst-scored judged answers of the last `hours`, worst first. */
export async function worstAnswers(pool: Pool, prompt: string, hours: number, limit = 20): Promise<EvidenceAnswer[]> {
  const { rows } = await pool.query<{
    request_id: string;
    ts: Date;
    prompt_version: string | null;
    score: number;
    trace_id: string | null;
    messages: Array<{ role?: string; content?: unknown }> | null;
    output: string | null;
  }>(
    `SELECT r.request_id, r.ts, r.prompt_version, j.score, r.trace_id, b.messages, b.output
     FROM judge_samples j
     JOIN requests r ON r.request_id = j.request_id AND r.ts = j.request_ts
     LEFT JOIN request_bodies b ON b.request_id = r.request_id AND b.ts = r.ts
     WHERE r.prompt_name = $1 AND j.request_ts >= now() - $2 * interval '1 hour' AND NOT r.synthetic
     ORDER BY j.score, r.ts DESC LIMIT $3`,
    [prompt, hours, limit],
  );
  return rows.map((row) => {
    const lastUser = [...(row.messages ?? [])].reverse().find((m) => m.role === 'user');
    return {
      requestId: row.request_id,
      at: row.ts.toISOString(),
      version: row.prompt_version,
      score: row.score,
      traceId: row.trace_id,
      input: typeof lastUser?.content === 'string' ? lastUser.content.slice(0, MAX_CHARS) : null,
      output: row.output?.slice(0, MAX_CHARS) ?? null,
    };
  });
}
