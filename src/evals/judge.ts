import { createHash } from 'node:crypto';
import type { Pool } from '../db/pool';
import { InputError } from '../errors';
import type { ProviderDirectory } from '../providers/directory';
import { cost, priceFor } from '../providers/pricing';
import { withRetries } from '../providers/retry';
import type { GradedAssertionType } from './assertionTypes';
import { DEFAULT_JUDGE_MODEL } from '../model/evalDefaults';
import { JUDGE_PROMPT_HASH, criterionFor, parseJudgeAnswer, renderJudgePrompt } from './judgePrompt';

export interface JudgeRequest {
  kind: GradedAssertionType;
  rubric?: string;
  question: string;
  context: string;
  output: string;
}

export interface JudgeScore {
  score: number;
  reason: string;
  cached: boolean;
  /** What the judge call cost (0 when the score came from the cache). */
  costUsd: number;
}

export interface JudgeCounters {
  judgeCalls: number;
  judgeCacheHits: number;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Refuse a judge model we cannot price (usually a typo), before anything is run or stored. */
export function assertKnownJudgeModel(model: string): void {
  if (!priceFor(model)) {
    throw new InputError(
      `Unknown judge model "${model}": it is not in the price table (src/providers/prices.json). Use a listed model such as ${DEFAULT_JUDGE_MODEL}, or add the model's price.`,
    );
  }
}

/**
 * Model-graded scoring with a Postgres cache keyed on judge model, judge prompt hash, rubric hash,
 * output hash and sample number: unchanged outputs are never judged twice.
 */
export class Judge {
  readonly counters: JudgeCounters = { judgeCalls: 0, judgeCacheHits: 0 };

  constructor(
    private readonly pool: Pool,
    private readonly providers: ProviderDirectory,
    readonly model: string,
  ) {}

  async grade(request: JudgeRequest, sample = 0): Promise<JudgeScore> {
    const criterion = criterionFor(request.kind, request.rubric);
    const rubricHash = sha256(JSON.stringify([request.kind, criterion, request.question, request.context]));
    const outputHash = sha256(request.output);
    const key = [this.model, JUDGE_PROMPT_HASH, rubricHash, outputHash, sample];
    const cached = await this.pool.query<{ score: number; reason: string }>(
      'SELECT score, reason FROM judge_cache WHERE judge_model = $1 AND judge_prompt_hash = $2 AND rubric_hash = $3 AND output_hash = $4 AND sample = $5',
      key,
    );
    if (cached.rows[0]) {
      this.counters.judgeCacheHits += 1;
      return { ...cached.rows[0], cached: true, costUsd: 0 };
    }
    const prompt = renderJudgePrompt({
      criterion,
      question: request.question,
      context: request.context,
      output: request.output,
    });
    this.counters.judgeCalls += 1;
    const completion = await withRetries(() =>
      this.providers.forModel(this.model).complete({
        model: this.model,
        messages: [
          { role: 'system', content: prompt.system },
          { role: 'user', content: prompt.user },
        ],
        temperature: sample === 0 ? 0 : 0.7,
        maxTokens: 200,
        timeoutMs: 60_000,
      }),
    );
    const parsed = parseJudgeAnswer(completion.text);
    if (!parsed)
      throw new Error(`judge ${this.model} did not answer with {"score": 0..1}: ${completion.text.slice(0, 120)}`);
    await this.pool.query(
      `INSERT INTO judge_cache (judge_model, judge_prompt_hash, rubric_hash, output_hash, sample, score, reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [...key, parsed.score, parsed.reason],
    );
    return { ...parsed, cached: false, costUsd: cost(this.model, completion.usage).usd };
  }
}
