/** The one completion interface every provider adapter implements. */

export type ApiShape = 'openai' | 'anthropic';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface CompletionRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  stop?: string[];
  seed?: number;
  /** Per-call deadline; an expired one is a retryable `timeout` error. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface Usage {
  /** All input tokens, cached ones included. */
  inputTokens: number;
  /** The part of inputTokens served from the provider's prompt cache. */
  cachedInputTokens: number;
  outputTokens: number;
}

export type FinishReason = 'stop' | 'length' | 'content_filter' | 'tool_calls' | 'other';

export interface Completion {
  text: string;
  usage: Usage;
  /** Milliseconds from sending the request to the first token (equal to latency when not streaming). */
  ttftMs: number;
  latencyMs: number;
  /** The model the provider says served the call (may differ from the requested alias). */
  model: string;
  provider: string;
  finishReason: FinishReason;
}

export type StreamEvent = { type: 'delta'; text: string } | { type: 'done'; completion: Completion };

export interface EmbeddingResult {
  vectors: number[][];
  model: string;
  provider: string;
  inputTokens: number;
}

/** How an adapter is built from the provider config. */
export interface AdapterOptions {
  name: string;
  apiKey: string;
  baseURL?: string;
  /** The SDK's own overall timeout; per-call deadlines come from CompletionRequest.timeoutMs. */
  timeoutMs?: number;
}

export const DEFAULT_SDK_TIMEOUT_MS = 60_000;

export interface ProviderAdapter {
  readonly name: string;
  readonly api: ApiShape;
  complete(request: CompletionRequest): Promise<Completion>;
  /** Deltas as they arrive, then one `done` event carrying the whole completion. */
  stream(request: CompletionRequest): AsyncIterable<StreamEvent>;
  embed(model: string, input: string[]): Promise<EmbeddingResult>;
}
