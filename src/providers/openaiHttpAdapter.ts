import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { ChatChunkAccumulator, chatParams, completionOf, embeddingsOf, type OpenAIChunk } from './chatWire';
import { classifyProviderError } from './errors';
import { callOptions } from './requestOptions';
import { Stopwatch } from './stopwatch';
import type {
  AdapterOptions,
  Completion,
  CompletionRequest,
  EmbeddingResult,
  ProviderAdapter,
  StreamEvent,
} from './types';

interface WireResponse extends OpenAIChunk {
  choices?: Array<{
    message?: { content?: string | null };
    delta?: { content?: string | null };
    finish_reason?: string | null;
  }>;
  error?: { message?: string; type?: string; code?: string | null };
}

/** Our own error for a transport failure (refused, reset), named so classification sees a connection error. */
class APIConnectionError extends Error {}

/**
 * Chat Completions over a keep-alive node:http client: the gateway's hot path to OpenAI-shaped
 * providers. The official SDK spends about five times the CPU per call (headers, logging, web
 * streams), which would take most of the gateway's overhead budget; evals and workflows keep
 * using the SDK adapter. Errors are classified exactly like the SDK's.
 */
export class OpenAIHttpAdapter implements ProviderAdapter {
  readonly api = 'openai' as const;
  readonly name: string;
  /** Resolved once: the hot path should not parse a URL per call. */
  private readonly urls: { chat: URL; embeddings: URL };
  private readonly agent: http.Agent;
  private readonly transport: typeof http | typeof https;

  constructor(private readonly options: AdapterOptions) {
    this.name = options.name;
    const base = new URL(`${(options.baseURL ?? 'https://api.openai.com/v1').replace(/\/$/, '')}/`);
    this.urls = { chat: new URL('chat/completions', base), embeddings: new URL('embeddings', base) };
    this.transport = base.protocol === 'https:' ? https : http;
    this.agent = new this.transport.Agent({ keepAlive: true, maxSockets: 256 });
  }

  private body(request: CompletionRequest, stream: boolean): string {
    return JSON.stringify({
      ...chatParams(request),
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    });
  }

  /** POST and resolve with the response once its status is 2xx; anything else becomes a classified error. */
  private post(url: URL, payload: string, signal: AbortSignal | undefined): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const request = this.transport.request(
        url,
        {
          method: 'POST',
          agent: this.agent,
          signal,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
            authorization: `Bearer ${this.options.apiKey}`,
          },
        },
        (response) => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(response);
          readAll(response).then((text) => {
            let body: WireResponse = {};
            try {
              body = JSON.parse(text) as WireResponse;
            } catch {
              // not JSON: the status alone classifies it
            }
            const headers = Object.fromEntries(Object.entries(response.headers).map(([k, v]) => [k, String(v)]));
            reject({
              status,
              message: `${status} ${body.error?.message ?? text.slice(0, 200)}`,
              code: body.error?.code ?? null,
              error: body,
              headers,
            });
          }, reject);
        },
      );
      request.on('error', (error) =>
        reject(error.name === 'AbortError' ? error : new APIConnectionError(error.message)),
      );
      request.end(payload);
    });
  }

  async complete(request: CompletionRequest): Promise<Completion> {
    const watch = new Stopwatch();
    const call = callOptions(request);
    try {
      const response = await this.post(this.urls.chat, this.body(request, false), call.sdk.signal);
      return completionOf(JSON.parse(await readAll(response)) as WireResponse, watch, request.model, this.name);
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
      const response = await this.post(this.urls.chat, this.body(request, true), call.sdk.signal);
      started = true;
      let buffered = '';
      for await (const piece of response) {
        buffered += (piece as Buffer).toString('utf8');
        let boundary: number;
        while ((boundary = buffered.indexOf('\n\n')) >= 0) {
          const event = buffered.slice(0, boundary);
          buffered = buffered.slice(boundary + 2);
          const data = event
            .split('\n')
            .filter((line) => line.startsWith('data:'))
            .map((line) => line.slice(5).trimStart())
            .join('\n');
          if (!data || data === '[DONE]') continue;
          const parsed = JSON.parse(data) as WireResponse;
          if (parsed.error)
            throw { status: 500, message: parsed.error.message ?? 'error event in stream', error: parsed };
          const delta = chunks.add(parsed);
          if (delta) yield { type: 'delta', text: delta };
        }
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
      const response = await this.post(
        this.urls.embeddings,
        JSON.stringify({ model, input, encoding_format: 'float' }),
        undefined,
      );
      return embeddingsOf(JSON.parse(await readAll(response)) as Parameters<typeof embeddingsOf>[0], this.name);
    } catch (error) {
      throw classifyProviderError(error, this.name);
    }
  }
}

/** The whole body as text (events, not async iteration: this runs once per proxied call). */
function readAll(stream: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.once('error', reject);
  });
}
