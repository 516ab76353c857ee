import { ProviderError } from './errors';
import { Stopwatch } from './stopwatch';
import type { Completion, CompletionRequest, EmbeddingResult, FinishReason, Usage } from './types';

// OpenAI's Chat Completions wire format, shared by the SDK adapter and the gateway's HTTP client.

/** The usage object of OpenAI's Chat Completions, as the SDK and the wire both carry it. */
export interface OpenAIUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
}

/** One `chat.completion.chunk`, as far as we read it. */
export interface OpenAIChunk {
  model?: string;
  usage?: OpenAIUsage | null;
  choices?: Array<{ delta?: { content?: string | null }; finish_reason?: string | null }>;
}

export function finishReason(reason: string | null | undefined): FinishReason {
  return reason === 'stop' || reason === 'length' || reason === 'content_filter' || reason === 'tool_calls'
    ? reason
    : 'other';
}

export function usageOf(usage: OpenAIUsage | null | undefined): Usage {
  return {
    inputTokens: usage?.prompt_tokens ?? 0,
    cachedInputTokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
    outputTokens: usage?.completion_tokens ?? 0,
  };
}

/** The request body fields, from our request. */
export function chatParams(request: CompletionRequest) {
  return {
    model: request.model,
    messages: request.messages,
    temperature: request.temperature,
    top_p: request.topP,
    max_tokens: request.maxTokens,
    stop: request.stop,
    seed: request.seed,
  };
}

/** A whole (non-streamed) `chat.completion` as our Completion. */
export function completionOf(
  response: {
    model?: string;
    usage?: OpenAIUsage | null;
    choices?: Array<{ message?: { content?: string | null }; finish_reason?: string | null }>;
  },
  watch: Stopwatch,
  requestedModel: string,
  provider: string,
): Completion {
  const latencyMs = watch.elapsedMs();
  const choice = response.choices?.[0];
  return {
    text: choice?.message?.content ?? '',
    usage: usageOf(response.usage),
    ttftMs: latencyMs,
    latencyMs,
    model: response.model || requestedModel,
    provider,
    finishReason: finishReason(choice?.finish_reason),
  };
}

/** Builds one Completion from a Chat Completions stream, whichever client read the chunks. */
/** An OpenAI embeddings response, vectors in input order. */
export function embeddingsOf(
  body: { data: Array<{ index: number; embedding: number[] }>; model: string; usage: { prompt_tokens: number } },
  provider: string,
): EmbeddingResult {
  return {
    vectors: [...body.data].sort((a, b) => a.index - b.index).map((d) => d.embedding),
    model: body.model,
    provider,
    inputTokens: body.usage.prompt_tokens,
  };
}

export class ChatChunkAccumulator {
  private readonly watch = new Stopwatch();
  private text = '';
  private usage: Usage | undefined;
  private reason: FinishReason = 'other';
  private sawFinish = false;

  constructor(
    private model: string,
    private readonly provider: string,
  ) {}

  /** Take one chunk; returns its text delta, if it has one. */
  add(chunk: OpenAIChunk): string | undefined {
    this.model = chunk.model || this.model;
    if (chunk.usage) this.usage = usageOf(chunk.usage);
    const choice = chunk.choices?.[0];
    if (choice?.finish_reason) {
      this.reason = finishReason(choice.finish_reason);
      this.sawFinish = true;
    }
    const delta = choice?.delta?.content;
    if (!delta) return undefined;
    this.watch.markFirstToken();
    this.text += delta;
    return delta;
  }

  /** The whole completion; a stream that ended without a finish reason was cut. */
  finish(): Completion {
    if (!this.sawFinish)
      throw new ProviderError('stream_cut', `${this.provider}: the stream ended before a finish reason`, this.provider);
    return {
      text: this.text,
      usage: this.usage ?? { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 },
      ttftMs: this.watch.ttftMs(),
      latencyMs: this.watch.elapsedMs(),
      model: this.model,
      provider: this.provider,
      finishReason: this.reason,
    };
  }
}
