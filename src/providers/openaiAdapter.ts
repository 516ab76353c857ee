import OpenAI from 'openai';
import { ChatChunkAccumulator, chatParams, completionOf, embeddingsOf } from './chatWire';
import { classifyProviderError } from './errors';
import { callOptions } from './requestOptions';
import { Stopwatch } from './stopwatch';
import {
  DEFAULT_SDK_TIMEOUT_MS,
  type AdapterOptions,
  type Completion,
  type CompletionRequest,
  type EmbeddingResult,
  type ProviderAdapter,
  type StreamEvent,
} from './types';

/** OpenAI Chat Completions, and any OpenAI-compatible server (vLLM, Ollama, the simulator) by base URL. */
export class OpenAIAdapter implements ProviderAdapter {
  readonly api = 'openai' as const;
  readonly name: string;
  private readonly client: OpenAI;

  constructor(options: AdapterOptions) {
    this.name = options.name;
    // Retries and fallback are the caller's policy (gateway, eval runner), so the SDK must not retry on its own.
    this.client = new OpenAI({
      apiKey: options.apiKey,
      baseURL: options.baseURL,
      maxRetries: 0,
      timeout: options.timeoutMs ?? DEFAULT_SDK_TIMEOUT_MS,
    });
  }

  async complete(request: CompletionRequest): Promise<Completion> {
    const watch = new Stopwatch();
    const call = callOptions(request);
    try {
      const response = await this.client.chat.completions.create({ ...chatParams(request), stream: false }, call.sdk);
      return completionOf(response, watch, request.model, this.name);
    } catch (error) {
      throw classifyProviderError(error, this.name, { timedOut: call.timedOut() });
    } finally {
      call.finish();
    }
  }

  async *stream(request: CompletionRequest): AsyncIterable<StreamEvent> {
    const call = callOptions(request);
    const chunks = new ChatChunkAccumulator(request.model, this.name);
    let started = false;
    try {
      const stream = await this.client.chat.completions.create(
        { ...chatParams(request), stream: true, stream_options: { include_usage: true } },
        call.sdk,
      );
      started = true;
      for await (const chunk of stream) {
        const delta = chunks.add(chunk);
        if (delta) yield { type: 'delta', text: delta };
      }
    } catch (error) {
      throw classifyProviderError(error, this.name, { midStream: started, timedOut: call.timedOut() });
    } finally {
      call.finish();
    }
    yield { type: 'done', completion: chunks.finish() };
  }

  async embed(model: string, input: string[]): Promise<EmbeddingResult> {
    try {
      return embeddingsOf(await this.client.embeddings.create({ model, input }), this.name);
    } catch (error) {
      throw classifyProviderError(error, this.name);
    }
  }
}
