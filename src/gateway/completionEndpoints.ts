import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ChatMessage, Completion } from '../providers/types';
import { parseBody } from './httpBody';
import { sendJson } from '../util/sendJson';
import { GatewayError, badRequest } from './gatewayError';
import { chatCompletion, chunkEvent, DONE_EVENT } from './openaiFormat';
import type { CompletionInput, RequestPipeline, StreamSink } from './pipeline';
import type { RequestContext } from './requestContext';
import { writeWithBackpressure, type StreamSlots } from './streamGuard';
import {
  chatCompletionBodySchema,
  FEATURE_PATTERN,
  promptRunBodySchema,
  type ChatCompletionBody,
} from './requestSchemas';

const PROMPT_MODEL = /^prompt:(.+)$/;
const PROMPT_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** Feature (for per-feature budgets) and bucketing subject (user, else tenant) of a request. */
function identify(
  ctx: RequestContext,
  req: IncomingMessage,
  bodyFeature: string | undefined,
  bodyUser: string | undefined,
): void {
  const feature = bodyFeature ?? header(req, 'x-flightdeck-feature');
  if (feature !== undefined && !FEATURE_PATTERN.test(feature)) {
    throw badRequest('The feature (x-flightdeck-feature) must be 1-63 letters, digits, ".", "_" or "-"', 'feature');
  }
  ctx.feature = feature ?? '';
  ctx.subject = bodyUser ?? header(req, 'x-flightdeck-user') ?? ctx.tenant!.id;
}

function promptName(text: string): string {
  if (!PROMPT_NAME.test(text))
    throw badRequest(
      `"${text}" is not a prompt name (lowercase letters, digits, "-" or "_")`,
      'model',
      'invalid_prompt_name',
    );
  return text;
}

function toMessages(body: ChatCompletionBody): ChatMessage[] {
  return body.messages.map((m) => ({
    role: m.role === 'developer' ? 'system' : m.role,
    content: typeof m.content === 'string' ? m.content : m.content.map((part) => part.text).join(''),
  }));
}

function toInput(body: ChatCompletionBody): CompletionInput {
  const common = {
    messages: toMessages(body),
    maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
    temperature: body.temperature ?? undefined,
    topP: body.top_p ?? undefined,
    stop:
      body.stop === null || body.stop === undefined ? undefined : Array.isArray(body.stop) ? body.stop : [body.stop],
    seed: body.seed ?? undefined,
    stream: body.stream ?? false,
  };
  const prompt = PROMPT_MODEL.exec(body.model);
  if (prompt) return { ...common, kind: 'prompt', prompt: promptName(prompt[1]!), variables: body.variables ?? {} };
  if (body.variables !== undefined)
    throw badRequest('variables are for prompt models; use "model": "prompt:<name>"', 'variables');
  if (!common.messages.length) throw badRequest('messages must hold at least one message', 'messages');
  return { ...common, kind: 'model', model: body.model };
}

/** How streams are held to account: a per-tenant cap on open streams, and a deadline for a reader that stops reading. */
export interface StreamPolicy {
  slots: StreamSlots;
  writeTimeoutMs: number;
}

/** POST /v1/chat/completions: OpenAI's API, JSON or server-sent events. */
export async function chatCompletions(
  pipeline: RequestPipeline,
  ctx: RequestContext,
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
  streams: StreamPolicy,
): Promise<void> {
  const parsed = parseBody(chatCompletionBodySchema, body);
  identify(ctx, req, undefined, parsed.user);
  ctx.retrievedContext = parsed.retrieved_context;
  const input = toInput(parsed);
  const pinned = header(req, 'x-flightdeck-variant');
  if (pinned !== undefined && input.kind === 'prompt') {
    if (pinned !== 'stable' && pinned !== 'candidate')
      throw badRequest(
        `x-flightdeck-variant is "stable" or "candidate" (got "${pinned.slice(0, 40)}"); it is honoured for synthetic tenants only`,
        'x-flightdeck-variant',
      );
    input.variant = pinned;
  }
  if (!input.stream) {
    const served = await pipeline.complete(ctx, input);
    sendJson(
      res,
      200,
      chatCompletion(
        ctx.requestId,
        served.completion.model,
        served.completion.text,
        served.completion.finishReason,
        served.completion.usage,
      ),
      served.headers,
    );
    return;
  }
  const giveBack = streams.slots.take(ctx.tenant!.id);
  try {
    const responseModel = () => ctx.model ?? parsed.model;
    const sink: StreamSink = {
      start(headers) {
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
          trailer: 'x-flightdeck-cost-usd',
          ...headers,
        });
        res.write(chunkEvent(ctx.requestId, responseModel(), { role: 'assistant', content: '' }));
      },
      delta: (text) =>
        writeWithBackpressure(
          res,
          chunkEvent(ctx.requestId, responseModel(), { content: text }),
          streams.writeTimeoutMs,
        ),
    };
    const served = await pipeline.complete(ctx, input, sink);
    if (!res.headersSent) sink.start(served.headers); // an empty answer has no first token to send them with
    finishStream(res, ctx, served.completion, parsed.stream_options?.include_usage ?? false);
  } finally {
    giveBack();
  }
}

function finishStream(res: ServerResponse, ctx: RequestContext, completion: Completion, includeUsage: boolean): void {
  res.write(chunkEvent(ctx.requestId, completion.model, {}, completion.finishReason));
  if (includeUsage) res.write(chunkEvent(ctx.requestId, completion.model, {}, null, completion.usage));
  res.write(DONE_EVENT);
  // The cost is known only now, so a stream carries it as a trailer.
  res.addTrailers({ 'x-flightdeck-cost-usd': ctx.costUsd.toFixed(8) });
  res.end();
}

/** A failure after a stream began: an error event in OpenAI's shape, then the end. */
export function failStream(res: ServerResponse, error: GatewayError): void {
  res.write(`data: ${JSON.stringify(error.body())}\n\n`);
  res.end();
}

/** POST /v1/prompts/{name}/run: the native form, variables in, answer and accounting out. */
export async function runPrompt(
  pipeline: RequestPipeline,
  ctx: RequestContext,
  req: IncomingMessage,
  res: ServerResponse,
  name: string,
  body: unknown,
): Promise<void> {
  const parsed = parseBody(promptRunBodySchema, body);
  identify(ctx, req, parsed.feature, parsed.user);
  ctx.retrievedContext = parsed.retrieved_context;
  const served = await pipeline.complete(ctx, {
    kind: 'prompt',
    prompt: promptName(name),
    variables: parsed.variables,
    messages: [],
    maxTokens: parsed.max_tokens,
    stream: false,
  });
  sendJson(
    res,
    200,
    {
      request_id: ctx.requestId,
      prompt: ctx.promptName,
      version: ctx.promptVersion,
      variant: ctx.variant,
      model: ctx.model,
      output: served.completion.text,
      finish_reason: served.completion.finishReason,
      usage: {
        input_tokens: ctx.usage.inputTokens,
        cached_tokens: ctx.usage.cachedInputTokens,
        output_tokens: ctx.usage.outputTokens,
      },
      cost_usd: ctx.costUsd,
      cache_hit: ctx.cacheHit,
      fallback_used: ctx.fallbackUsed,
      guardrails: ctx.guardrails,
    },
    served.headers,
  );
}
