import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { embed } from './embeddings';
import type { Plan, SimErrorKind, SimulatorEngine } from './engine';
import { sendJson } from '../util/sendJson';
import { HttpError, Pacer, sleep, startSse } from './http';
import { contentText, type Content } from './messages';
import { countTokens } from './tokens';

const content = z
  .union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() }).loose())])
  .nullable();

const chatSchema = z
  .object({
    model: z.string().min(1),
    messages: z.array(z.object({ role: z.string(), content: content.optional() }).loose()).min(1),
    max_tokens: z.number().int().positive().nullish(),
    max_completion_tokens: z.number().int().positive().nullish(),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).loose().nullish(),
  })
  .loose();

const embeddingsSchema = z
  .object({
    model: z.string().min(1),
    input: z.union([z.string(), z.array(z.string()).min(1)]),
    encoding_format: z.enum(['float', 'base64']).optional(),
  })
  .loose();

/** The official client asks for base64 (little-endian float32) by default. */
function encodeBase64(vector: number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

const ERRORS: Record<SimErrorKind, { status: number; type: string; code: string | null }> = {
  rate_limit: { status: 429, type: 'requests', code: 'rate_limit_exceeded' },
  server: { status: 500, type: 'server_error', code: null },
  overloaded: { status: 503, type: 'server_error', code: 'overloaded' },
  auth: { status: 401, type: 'invalid_request_error', code: 'invalid_api_key' },
  bad_request: { status: 400, type: 'invalid_request_error', code: null },
  context_length: { status: 400, type: 'invalid_request_error', code: 'context_length_exceeded' },
};

export function sendOpenAIError(
  res: ServerResponse,
  status: number,
  message: string,
  type = 'invalid_request_error',
  code: string | null = null,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error: { message, type, param: null, code } }, headers);
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new HttpError(400, `Invalid request: ${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  return parsed.data;
}

export async function chatCompletions(engine: SimulatorEngine, body: unknown, res: ServerResponse): Promise<void> {
  const request = parse(chatSchema, body);
  const system = request.messages
    .filter((m) => m.role === 'system' || m.role === 'developer')
    .map((m) => contentText(m.content as Content))
    .join('\n');
  const turns = request.messages.filter((m) => m.role !== 'system' && m.role !== 'developer');
  const lastUser = contentText([...turns].reverse().find((m) => m.role === 'user')?.content as Content);
  const plan = engine.plan({
    api: 'openai',
    model: request.model,
    system,
    conversation: turns.map((m) => contentText(m.content as Content)).join('\n'),
    lastUser,
    maxTokens: request.max_completion_tokens ?? request.max_tokens ?? undefined,
    stream: Boolean(request.stream),
  });
  const id = `chatcmpl-${randomUUID().replace(/-/g, '').slice(0, 24)}`;
  const created = Math.floor(Date.now() / 1000);
  if (plan.kind === 'hang') return; // never answer: the client's timeout must fire
  if (plan.kind === 'error') {
    const e = ERRORS[plan.error];
    const headers: Record<string, string> =
      plan.error === 'rate_limit' ? { 'retry-after': String(plan.retryAfterSeconds) } : {};
    return sendOpenAIError(res, e.status, plan.message, e.type, e.code, headers);
  }
  const usage = {
    prompt_tokens: plan.inputTokens,
    completion_tokens: plan.outputTokens,
    total_tokens: plan.inputTokens + plan.outputTokens,
    prompt_tokens_details: { cached_tokens: plan.cachedInputTokens },
  };
  if (!request.stream) {
    await sleep(plan.ttftMs + plan.perTokenMs * plan.outputTokens);
    return sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model: request.model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: plan.answer.text, refusal: null },
          finish_reason: plan.answer.finishReason,
          logprobs: null,
        },
      ],
      usage,
    });
  }
  await streamChat(res, plan, {
    id,
    created,
    model: request.model,
    includeUsage: Boolean(request.stream_options?.include_usage),
    usage,
  });
}

async function streamChat(
  res: ServerResponse,
  plan: Extract<Plan, { kind: 'answer' }>,
  meta: { id: string; created: number; model: string; includeUsage: boolean; usage: object },
): Promise<void> {
  const chunk = (delta: object, finish: string | null, extra: object = {}) =>
    `data: ${JSON.stringify({ id: meta.id, object: 'chat.completion.chunk', created: meta.created, model: meta.model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }], ...extra })}\n\n`;
  startSse(res);
  await sleep(plan.ttftMs);
  res.write(chunk({ role: 'assistant', content: '' }, null));
  const pacer = new Pacer();
  for (const [i, piece] of plan.pieces.entries()) {
    if (plan.cutAfter !== undefined && i >= plan.cutAfter) {
      res.destroy(); // a stream cut mid-way, as a dropped connection looks to the client
      return;
    }
    if (i > 0) await pacer.wait(plan.perTokenMs * countTokens(piece));
    res.write(chunk({ content: piece }, null));
  }
  res.write(chunk({}, plan.answer.finishReason));
  if (meta.includeUsage) {
    res.write(
      `data: ${JSON.stringify({ id: meta.id, object: 'chat.completion.chunk', created: meta.created, model: meta.model, choices: [], usage: meta.usage })}\n\n`,
    );
  }
  res.end('data: [DONE]\n\n');
}

export async function embeddings(engine: SimulatorEngine, body: unknown, res: ServerResponse): Promise<void> {
  const request = parse(embeddingsSchema, body);
  engine.stats.embeddings += 1;
  const inputs = typeof request.input === 'string' ? [request.input] : request.input;
  const tokens = inputs.reduce((sum, text) => sum + countTokens(text), 0);
  sendJson(res, 200, {
    object: 'list',
    model: request.model,
    data: inputs.map((text, index) => {
      const vector = embed(text);
      return {
        object: 'embedding',
        index,
        embedding: request.encoding_format === 'base64' ? encodeBase64(vector) : vector,
      };
    }),
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
}
