import OpenAI from 'openai';
import { classifyProviderError, ProviderError } from './errors';
import { callOptions } from './requestOptions';
import { Stopwatch } from './stopwatch';
import { DEFAULT_SDK_TIMEOUT_MS, type AdapterOptions, type Completion, type CompletionRequest, type EmbeddingResult, type FinishReason, type ProviderAdapter, type StreamEvent, type Usage } from './types';

function finishReason(reason: string | null | undefined): FinishReason {
  return reason === 'stop' || reason === 'length' || reason === 'content_filter' || reason === 'tool_calls' ? reason : 'other';
}

function usageOf(usage: OpenAI.CompletionUsage | null | undefined): Usage {
  return {
    inputTokens: usage?.prompt_tokens ?? 0,
    cachedInputTokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
    outputTokens: usage?.completion_tokens ?? 0,
  };
}

/** OpenAI Chat Completions, and any OpenAI-compatible server (vLLM, Ollama, the simulator) by base URL. */
export class OpenAIAdapter implements ProviderAdapter {
  readonly api = 'openai' as const;
  readonly name: string;
  private readonly client: OpenAI;

  constructor(options: AdapterOptions) {
    this.name = options.name;
    // Retries and fallback are the caller's policy (gateway, eval runner), so the SDK must not retry on its own.
    this.client = new OpenAI({ apiKey: options.apiKey, baseURL: options.baseURL, maxRetries: 0, timeout: options.timeoutMs ?? DEFAULT_SDK_TIMEOUT_MS });
  }

  private params(request: CompletionRequest) {
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


  async complete(request: CompletionRequest): Promise<Completion> {
    const watch = new Stopwatch();
    const call = callOptions(request);
    try {
      const response = await this.client.chat.completions.create({ ...this.params(request), stream: false }, call.sdk);
      const latencyMs = watch.elapsedMs();
      const choice = response.choices[0];
      return {
        text: choice?.message.content ?? '',
        usage: usageOf(response.usage),
        ttftMs: latencyMs,
        latencyMs,
        model: response.model,
        provider: this.name,
        finishReason: finishReason(choice?.finish_reason),
      };
    } catch (error) {
      throw classifyProviderError(error, this.name, { timedOut: call.timedOut() });
    }
  }

  async *stream(request: CompletionRequest): AsyncIterable<StreamEvent> {
    const watch = new Stopwatch();
    const call = callOptions(request);
    let started = false;
    let text = '';
    let usage: Usage | undefined;
    let model = request.model;
    let reason: FinishReason = 'other';
    let sawFinish = false;
    try {
      const stream = await this.client.chat.completions.create(
        { ...this.params(request), stream: true, stream_options: { include_usage: true } },
        call.sdk,
      );
      started = true;
      for await (const chunk of stream) {
        model = chunk.model || model;
        if (chunk.usage) usage = usageOf(chunk.usage);
        const choice = chunk.choices[0];
        if (choice?.finish_reason) {
          reason = finishReason(choice.finish_reason);
          sawFinish = true;
        }
        const delta = choice?.delta?.content;
        if (delta) {
          watch.markFirstToken();
          text += delta;
          yield { type: 'delta', text: delta };
        }
      }
    } catch (error) {
      throw classifyProviderError(error, this.name, { midStream: started, timedOut: call.timedOut() });
    }
    if (!sawFinish) throw new ProviderError('stream_cut', `${this.name}: the stream ended before a finish reason`, this.name);
    yield {
      type: 'done',
      completion: {
        text,
        usage: usage ?? { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 },
        ttftMs: watch.ttftMs(),
        latencyMs: watch.elapsedMs(),
        model,
        provider: this.name,
        finishReason: reason,
      },
    };
  }

  async embed(model: string, input: string[]): Promise<EmbeddingResult> {
    try {
      const response = await this.client.embeddings.create({ model, input });
      return {
        vectors: [...response.data].sort((a, b) => a.index - b.index).map((item) => item.embedding),
        model: response.model,
        provider: this.name,
        inputTokens: response.usage.prompt_tokens,
      };
    } catch (error) {
      throw classifyProviderError(error, this.name);
    }
  }
}
