import type { Pool } from '../db/pool';
import { InputError, NotFoundError } from '../errors';
import type { Judge } from '../evals/judge';
import { gradeLiveAnswer } from '../evals/liveAnswerGrade';
import type { ProviderDirectory } from '../providers/directory';
import type { ChatMessage } from '../providers/types';
import { modelIdSchema } from '../model/textFields';

/** A judge score below this is a bad answer (what "the bad output reproduced" means). */
export const BAD_ANSWER_SCORE = 0.5;

export interface ReplayAnswer {
  model: string;
  output: string;
  /** The judge's score now (and, for the original, the one stored when it was sampled). */
  score?: number;
  storedScore?: number;
  reason?: string;
}

export interface ReplayResult {
  requestId: string;
  at: string;
  tenant: string | null;
  prompt: string | null;
  version: string | null;
  traceId: string | null;
  original: ReplayAnswer;
  replayed: ReplayAnswer & { latencyMs: number };
  /** Judged: was the original bad, and is the replayed answer bad too? */
  reproduced?: boolean;
  /** What the stored tuple lacks, so the replay may differ for reasons other than the model. */
  caveats: string[];
}

interface StoredRequest {
  ts: Date;
  tenant_id: string | null;
  prompt_name: string | null;
  prompt_version: string | null;
  model: string | null;
  trace_id: string | null;
  messages: ChatMessage[] | null;
  output: string | null;
  score: number | null;
}

/**
 * Reproduce a logged request from its stored tuple (the model that served it, the rendered and
 * redacted messages), or `against` another model or another version of its prompt (that version's
 * model, the same messages), and judge the old and new answers side by side.
 */
export async function replayRequest(
  pool: Pool,
  providers: ProviderDirectory,
  requestId: string,
  options: { against?: string; judge?: Judge } = {},
): Promise<ReplayResult> {
  const { rows } = await pool.query<StoredRequest>(
    `SELECT r.ts, r.tenant_id, r.prompt_name, r.prompt_version, r.model, r.trace_id, b.messages, b.output,
       (SELECT score FROM judge_samples j WHERE j.request_id = r.request_id) AS score
     FROM requests r LEFT JOIN request_bodies b ON b.request_id = r.request_id AND b.ts = r.ts
     WHERE r.request_id = $1 AND r.shadow_of IS NULL ORDER BY r.ts DESC LIMIT 1`,
    [requestId],
  );
  const stored = rows[0];
  if (!stored)
    throw new NotFoundError(`No request ${requestId} in the log; see \`flightdeck incident show\` for evidence ids`);
  if (!stored.messages?.length || stored.output === null)
    throw new InputError(
      `Request ${requestId} has no stored body (past the retention, or never answered): it cannot be replayed`,
    );
  if (!stored.model) throw new InputError(`Request ${requestId} was never served by a model: nothing to replay`);
  const model = options.against ? await againstModel(pool, stored.prompt_name, options.against) : stored.model;
  // An unknown model is an InputError naming the providers file.
  const completion = await providers.forModel(model).complete({ model, messages: stored.messages, timeoutMs: 60_000 });
  const result: ReplayResult = {
    requestId,
    at: stored.ts.toISOString(),
    tenant: stored.tenant_id,
    prompt: stored.prompt_name,
    version: stored.prompt_version,
    traceId: stored.trace_id,
    original: {
      model: stored.model,
      output: stored.output,
      ...(stored.score !== null ? { storedScore: stored.score } : {}),
    },
    replayed: { model, output: completion.text, latencyMs: Math.round(completion.latencyMs) },
    caveats: [
      'sampling parameters (temperature, max_tokens) are not stored: the provider defaults were used',
      'the messages are the stored ones, with personal data redacted',
    ],
  };
  if (options.judge) {
    const [before, after] = await Promise.all([
      gradeLiveAnswer(options.judge, stored.messages, stored.output),
      gradeLiveAnswer(options.judge, stored.messages, completion.text),
    ]);
    Object.assign(result.original, { score: before.score, reason: before.reason });
    Object.assign(result.replayed, { score: after.score, reason: after.reason });
    result.reproduced = before.score < BAD_ANSWER_SCORE && after.score < BAD_ANSWER_SCORE;
  }
  return result;
}

/** `--against`: a version of the request's prompt (its model is used), else a model id. */
async function againstModel(pool: Pool, prompt: string | null, against: string): Promise<string> {
  if (prompt) {
    const { rows } = await pool.query<{ model: string }>(
      `SELECT spec->>'model' AS model FROM prompt_versions WHERE prompt_name = $1 AND version = $2`,
      [prompt, against],
    );
    if (rows[0]) return rows[0].model;
  }
  const model = modelIdSchema.safeParse(against);
  if (!model.success)
    throw new InputError(
      `--against "${against.slice(0, 100)}" is neither a version of ${prompt ?? 'its prompt'} nor a model id`,
    );
  return model.data;
}
