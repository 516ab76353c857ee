import { composeAnswer, type Answer } from './answer';
import { FaultQueue, type FaultKind } from './faults';
import { isJudgeRequest, judgeScore } from './judging';
import { ProfileBook, type Profile } from './profiles';
import { hashText, Random } from './random';
import { countTokens, streamPieces } from './tokens';
import { UsageLedger, type UsageApi } from './usageLedger';

export interface SimRequest {
  /** Which API was called: usage is reported per API, as each provider reports its own. */
  api: UsageApi;
  model: string;
  system: string;
  /** All non-system turns joined; the last user turn holds the question. */
  conversation: string;
  lastUser: string;
  maxTokens?: number;
  stream: boolean;
}

export type SimErrorKind = Exclude<FaultKind, 'stream_cut' | 'stream_cut_start' | 'hang'>;

export type Plan =
  | { kind: 'error'; error: SimErrorKind; message: string; retryAfterSeconds: number }
  | { kind: 'hang' }
  | {
      kind: 'answer';
      answer: Answer;
      pieces: string[];
      inputTokens: number;
      cachedInputTokens: number;
      outputTokens: number;
      ttftMs: number;
      perTokenMs: number;
      /** Streams only: the number of pieces sent before the connection is cut. */
      cutAfter?: number;
    };

/** Prompt caching as providers do it: a repeated long system prompt is billed as cached input. */
const CACHE_MIN_TOKENS = 1024;
const CACHE_BLOCK = 128;
const CACHE_ENTRIES = 10_000;

const RECENT_KEPT = 200;

/** Decides, for each request, whether it fails and how, what it answers, and how long it takes. */
export class SimulatorEngine {
  readonly profiles = new ProfileBook();
  readonly faults = new FaultQueue();
  readonly stats = {
    requests: 0,
    errors: 0,
    streams: 0,
    embeddings: 0,
    judgeRequests: 0,
    byModel: {} as Record<string, number>,
  };
  /** Every answer served, for the providers' usage endpoints. */
  readonly usage = new UsageLedger();
  /** What the last few requests sent (GET /admin/requests): to check what a provider would have seen, e.g. no raw PII. */
  readonly recent: Array<{ model: string; system: string; conversation: string }> = [];
  private random: Random;
  private readonly seenPrefixes = new Set<number>();

  constructor(private readonly seed = 42) {
    this.random = new Random(seed);
  }

  /** Back to the initial state: same seed, no faults, built-in profiles kept. */
  reset(): void {
    this.random = new Random(this.seed);
    this.faults.clear();
    this.seenPrefixes.clear();
    this.recent.length = 0;
    this.usage.clear();
  }

  plan(request: SimRequest): Plan {
    this.stats.requests += 1;
    this.stats.byModel[request.model] = (this.stats.byModel[request.model] ?? 0) + 1;
    if (request.stream) this.stats.streams += 1;
    if (isJudgeRequest(request.system)) this.stats.judgeRequests += 1;
    this.recent.push({ model: request.model, system: request.system, conversation: request.conversation });
    if (this.recent.length > RECENT_KEPT) this.recent.shift();
    const profile = this.profiles.get(request.model);
    const inputTokens = countTokens(request.system) + countTokens(request.conversation);
    const fault = this.faults.take(request.model) ?? this.drawError(profile, request.stream);
    if (inputTokens > profile.contextWindow && !fault) return this.error('context_length', profile, inputTokens);
    if (fault === 'hang') return { kind: 'hang' };
    if (fault && fault !== 'stream_cut' && fault !== 'stream_cut_start') return this.error(fault, profile, inputTokens);

    // Content randomness comes from the request itself, so the same prompt gets the same answer.
    const contentRandom = Random.fromText(`${request.model}\n${request.system}\n${request.conversation}`, this.seed);
    const maxTokens = request.maxTokens ?? profile.maxOutputTokens;
    const answer: Answer = isJudgeRequest(request.system)
      ? {
          text: JSON.stringify(judgeScore(request.lastUser, profile.judgeNoise, this.random)),
          flaws: [],
          finishReason: 'stop',
        }
      : composeAnswer(request.system, request.lastUser, profile, contentRandom, maxTokens);
    const pieces = streamPieces(answer.text);
    const cachedInputTokens = this.cachedTokens(request.system);
    const outputTokens = countTokens(answer.text);
    this.usage.record(request.api, request.model, Date.now(), { inputTokens, cachedInputTokens, outputTokens });
    return {
      kind: 'answer',
      answer,
      pieces,
      inputTokens,
      cachedInputTokens,
      outputTokens,
      ttftMs: this.random.around(profile.ttftMs, profile.ttftSpreadMs),
      perTokenMs: this.random.around(profile.perTokenMs, profile.perTokenSpreadMs),
      // stream_cut: half-way through; stream_cut_start: after the headers, before the first token.
      cutAfter: fault === 'stream_cut' ? Math.floor(pieces.length / 2) : fault === 'stream_cut_start' ? 0 : undefined,
    };
  }

  private drawError(profile: Profile, stream: boolean): FaultKind | undefined {
    const { errors } = profile;
    if (this.random.chance(errors.rate_limit)) return 'rate_limit';
    if (this.random.chance(errors.server)) return 'server';
    if (this.random.chance(errors.overloaded)) return 'overloaded';
    if (this.random.chance(errors.hang)) return 'hang';
    if (stream && this.random.chance(errors.stream_cut)) return 'stream_cut';
    return undefined;
  }

  private error(error: SimErrorKind, profile: Profile, inputTokens: number): Plan {
    this.stats.errors += 1;
    const messages: Record<SimErrorKind, string> = {
      rate_limit: 'Rate limit reached for requests. Please try again later.',
      server: 'The server had an error while processing your request.',
      overloaded: 'Overloaded',
      auth: 'Incorrect API key provided.',
      bad_request: 'Invalid request (injected fault).',
      context_length: `This model's maximum context length is ${profile.contextWindow} tokens. However, your messages resulted in ${inputTokens} tokens.`,
    };
    return { kind: 'error', error, message: messages[error], retryAfterSeconds: profile.retryAfterSeconds };
  }

  private cachedTokens(system: string): number {
    const tokens = countTokens(system);
    if (tokens < CACHE_MIN_TOKENS) return 0;
    const key = hashText(system);
    if (this.seenPrefixes.has(key)) return Math.floor(tokens / CACHE_BLOCK) * CACHE_BLOCK;
    if (this.seenPrefixes.size >= CACHE_ENTRIES) this.seenPrefixes.clear();
    this.seenPrefixes.add(key);
    return 0;
  }
}
