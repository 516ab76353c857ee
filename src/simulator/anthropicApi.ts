import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Plan, SimErrorKind, SimulatorEngine } from './engine';
import { sendJson } from '../util/sendJson';
import { HttpError, Pacer, sleep, startSse } from './http';
import { contentText, type Content } from './messages';
import { countTokens } from './tokens';

const content = z.union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() }).loose())]);

const messagesSchema = z
  .object({
    model: z.string().min(1),
    max_tokens: z.number().int().positive(),
    system: content.optional(),
    messages: z.array(z.object({ role: z.enum(['user', 'assistant']), content }).loose()).min(1),
    stream: z.boolean().optional(),
  })
  .loose();

const ERRORS: Record<SimErrorKind, { status: number; type: string }> = {
  rate_limit: { status: 429, type: 'rate_limit_error' },
  server: { status: 500, type: 'api_error' },
  overloaded: { status: 529, type: 'overloaded_error' },
  auth: { status: 401, type: 'authentication_error' },
  bad_request: { status: 400, type: 'invalid_request_error' },
  context_length: { status: 400, type: 'invalid_request_error' },
};

const STOP_REASON = { stop: 'end_turn', length: 'max_tokens' } as const;

export function sendAnthropicError(
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(
    res,
    status,
    { type: 'error', error: { type, message } },
    { 'request-id': `req_${randomUUID()}`, ...headers },
  );
}

export async function messages(engine: SimulatorEngine, body: unknown, res: ServerResponse): Promise<void> {
  const parsed = messagesSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new HttpError(400, `${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  const request = parsed.data;
  const lastUser = contentText([...request.messages].reverse().find((m) => m.role === 'user')?.content as Content);
  const plan = engine.plan({
    api: 'anthropic',
    model: request.model,
    system: contentText(request.system as Content | undefined),
    conversation: request.messages.map((m) => contentText(m.content as Content)).join('\n'),
    lastUser,
    maxTokens: request.max_tokens,
    stream: Boolean(request.stream),
  });
  if (plan.kind === 'hang') return;
  if (plan.kind === 'error') {
    const e = ERRORS[plan.error];
    const message = plan.error === 'context_length' ? `prompt is too long: ${plan.message}` : plan.message;
    return sendAnthropicError(
      res,
      e.status,
      e.type,
      message,
      plan.error === 'rate_limit' ? { 'retry-after': String(plan.retryAfterSeconds) } : {},
    );
  }
  const id = `msg_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
  const usage = {
    input_tokens: plan.inputTokens - plan.cachedInputTokens,
    cache_read_input_tokens: plan.cachedInputTokens,
    cache_creation_input_tokens: 0,
    output_tokens: plan.outputTokens,
  };
  const stopReason = STOP_REASON[plan.answer.finishReason];
  if (!request.stream) {
    await sleep(plan.ttftMs + plan.perTokenMs * plan.outputTokens);
    return sendJson(res, 200, {
      id,
      type: 'message',
      role: 'assistant',
      model: request.model,
      content: [{ type: 'text', text: plan.answer.text }],
      stop_reason: stopReason,
      stop_sequence: null,
      usage,
    });
  }
  await streamMessage(res, plan, { id, model: request.model, usage, stopReason });
}

async function streamMessage(
  res: ServerResponse,
  plan: Extract<Plan, { kind: 'answer' }>,
  meta: { id: string; model: string; usage: { input_tokens: number; output_tokens: number }; stopReason: string },
): Promise<void> {
  const event = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
  startSse(res);
  await sleep(plan.ttftMs);
  res.write(
    event('message_start', {
      message: {
        id: meta.id,
        type: 'message',
        role: 'assistant',
        model: meta.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...meta.usage, output_tokens: 1 },
      },
    }),
  );
  res.write(event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }));
  res.write(event('ping', {}));
  const pacer = new Pacer();
  for (const [i, piece] of plan.pieces.entries()) {
    if (plan.cutAfter !== undefined && i >= plan.cutAfter) {
      res.destroy();
      return;
    }
    if (i > 0) await pacer.wait(plan.perTokenMs * countTokens(piece));
    res.write(event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: piece } }));
  }
  res.write(event('content_block_stop', { index: 0 }));
  res.write(
    event('message_delta', {
      delta: { stop_reason: meta.stopReason, stop_sequence: null },
      usage: { output_tokens: meta.usage.output_tokens },
    }),
  );
  res.end(event('message_stop', {}));
}
