import OpenAI from 'openai';

const QUESTIONS = [
  'How long do I have to return an item?',
  'When will my refund arrive?',
  'Is shipping free?',
  'Can I return a gift?',
];
/** The help-centre text the example support prompt answers from (also the demo's). */
export const SUPPORT_CONTEXT =
  'Items can be returned within 30 days of delivery. Refunds reach your card in 5 business days. Shipping is free over $50.';

export interface BackgroundTraffic {
  /** Stop sending; resolves once the requests in flight have answered. */
  stop(): Promise<{ sent: number; failed: number }>;
}

/**
 * Steady app traffic for a canary to judge: `concurrency` loops, each calling the prompt through
 * the gateway with the official openai client as a different user every time (so sticky bucketing
 * spreads users over both variants).
 */
export function startBackgroundTraffic(
  gatewayUrl: string,
  apiKey: string,
  prompt: string,
  concurrency: number,
): BackgroundTraffic {
  const client = new OpenAI({ apiKey, baseURL: `${gatewayUrl}/v1`, maxRetries: 0 });
  let running = true;
  let sent = 0;
  let failed = 0;
  const loop = async (worker: number) => {
    for (let i = 0; running; i++) {
      const body = {
        model: `prompt:${prompt}`,
        messages: [],
        variables: { question: QUESTIONS[i % QUESTIONS.length], context: SUPPORT_CONTEXT },
        user: `user-${worker}-${i}`,
      };
      await client.chat.completions.create(body as never).then(
        () => sent++,
        () => failed++,
      );
    }
  };
  const loops = Array.from({ length: concurrency }, (_, worker) => loop(worker));
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { sent, failed };
    },
  };
}
