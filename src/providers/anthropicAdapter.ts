import Anthropic from '@anthropic-ai/sdk';
import { classifyProviderError, ProviderError } from './errors';
import { callOptions } from './requestOptions';
import { Stopwatch } from './stopwatch';
import {
  DEFAULT_SDK_TIMEOUT_MS,
  type AdapterOptions,
  type Completion,
  type CompletionRequest,
  type EmbeddingResult,
  type FinishReason,
  type ProviderAdapter,
  type StreamEvent,
  type Usage,
} from './types';

/** The Messages API requires max_tokens; this is what we send when the prompt sets none. */
const DEFAULT_MAX_TOKENS = 1024;

function finishReason(reason: string | null | undefined): FinishReason {
  if (reason === 'end_turn' || reason === 'stop_sequence') return 'stop';
  if (reason === 'max_tokens') return 'length';
  if (reason === 'refusal') return 'content_filter';
  if (reason === 'tool_use') return 'tool_calls';
  return 'other';
}

interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

// Anthropic reports cache reads and writes apart from input_tokens; our Usage counts all input.
function usageOf(usage: AnthropicUsage): Usage {
  const cached = usage.cache_read_input_tokens ?? 0;
  return {
    inputTokens: (usage.input_tokens ?? 0) + cached + (usage.cache_creation_input_tokens ?? 0),
    cachedInputTokens: cached,
    outputTokens: usage.output_tokens ?? 0,
  };
}

/** Anthropic's Messages API through the official SDK. */
export class AnthropicAdapter implements ProviderAdapter {
  readonly api = 'anthropic' as const;
  readonly name: string;
  private readonly client: Anthropic;

  constructor(options: AdapterOptions) {
    this.name = options.name;
    this.client = new Anthropic({
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      maxRetries: 0,
      timeout: options.timeoutMs ?? DEFAULT_SDK_TIMEOUT_MS,
    });
  }

  private params(request: CompletionRequest) {
    const system = request.messages
      .filter((m) => m.role === 'system')
      .map((m) => m.content)
      .join('\n\n');
    return {
      model: request.model,
      max_tokens: request.maxTokens ?? DEFAULT_MAX_TOKENS,
      system: system || undefined,
      messages: request.messages
        .filter((m) => m.role !== 'system')
        .map((m) => ({ role: m.role as 'user' | 'assistant', content: m.content })),
      temperature: request.temperature,
      top_p: request.topP,
      stop_sequences: request.stop,
    };
  }

  async complete(request: CompletionRequest): Promise<Completion> {
    const watch = new Stopwatch();
    const call = callOptions(request);
    try {
      const message = await this.client.messages.create({ ...this.params(request), stream: false }, call.sdk);
      const latencyMs = watch.elapsedMs();
      const text = message.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
      return {
        text,
        usage: usageOf(message.usage),
        ttftMs: latencyMs,
        latencyMs,
        model: message.model,
        provider: this.name,
        finishReason: finishReason(message.stop_reason),
      };
    } catch (error) {
      throw classifyProviderError(error, this.name, { timedOut: call.timedOut() });
    } finally {
      call.finish();
    }
  }

  async *stream(request: CompletionRequest): AsyncIterable<StreamEvent> {
    const watch = new Stopwatch();
    const call = callOptions(request);
    let started = false;
    let text = '';
    let usage: AnthropicUsage = {};
    let model = request.model;
    let reason: FinishReason = 'other';
    let stopped = false;
    try {
      const stream = await this.client.messages.create({ ...this.params(request), stream: true }, call.sdk);
      started = true;
      for await (const event of stream) {
        if (event.type === 'message_start') {
          model = event.message.model;
          usage = { ...event.message.usage };
        } else if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
          watch.markFirstToken();
          text += event.delta.text;
          yield { type: 'delta', text: event.delta.text };
        } else if (event.type === 'message_delta') {
          reason = finishReason(event.delta.stop_reason);
          usage = { ...usage, output_tokens: event.usage.output_tokens };
        } else if (event.type === 'message_stop') {
          stopped = true;
        }
      }
    } catch (error) {
      throw classifyProviderError(error, this.name, { midStream: started, timedOut: call.timedOut() });
    } finally {
      call.finish();
    }
    if (!stopped)
      throw new ProviderError('stream_cut', `${this.name}: the stream ended before message_stop`, this.name);
    yield {
      type: 'done',
      completion: {
        text,
        usage: usageOf(usage),
        ttftMs: watch.ttftMs(),
        latencyMs: watch.elapsedMs(),
        model,
        provider: this.name,
        finishReason: reason,
      },
    };
  }

  async embed(model: string): Promise<EmbeddingResult> {
    throw new ProviderError(
      'unsupported',
      `${this.name}: Anthropic has no embeddings API; route ${model} to an OpenAI-compatible provider`,
      this.name,
    );
  }
}
