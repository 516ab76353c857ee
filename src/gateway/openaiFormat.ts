import type { FinishReason, Usage } from '../providers/types';

function usageBody(usage: Usage) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.inputTokens + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedInputTokens },
  };
}

const createdNow = () => Math.floor(Date.now() / 1000);

/** A `chat.completion` object as the OpenAI API returns it. */
export function chatCompletion(id: string, model: string, text: string, finishReason: FinishReason, usage: Usage) {
  return {
    id,
    object: 'chat.completion',
    created: createdNow(),
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: text, refusal: null },
        logprobs: null,
        finish_reason: finishReason === 'other' ? 'stop' : finishReason,
      },
    ],
    usage: usageBody(usage),
  };
}

/** One server-sent event of a `chat.completion.chunk` stream. */
export function chunkEvent(
  id: string,
  model: string,
  delta: { role?: 'assistant'; content?: string },
  finishReason: FinishReason | null = null,
  usage?: Usage,
): string {
  const chunk = {
    id,
    object: 'chat.completion.chunk',
    created: createdNow(),
    model,
    choices: usage
      ? []
      : [{ index: 0, delta, logprobs: null, finish_reason: finishReason === 'other' ? 'stop' : finishReason }],
    ...(usage ? { usage: usageBody(usage) } : {}),
  };
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

export const DONE_EVENT = 'data: [DONE]\n\n';
