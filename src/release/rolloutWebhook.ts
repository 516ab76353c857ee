import { z } from 'zod';
import type { RolloutEvent } from '../model/rolloutEvent';

const slackMessage = z.object({ text: z.string().min(1) });

const ICON: Record<RolloutEvent['kind'], string> = {
  start: ':rocket:',
  step: ':arrow_up:',
  pause: ':double_vertical_bar:',
  resume: ':arrow_forward:',
  abort: ':rotating_light:',
  complete: ':white_check_mark:',
  supersede: ':leftwards_arrow_with_hook:',
};

/** Slack-compatible JSON (`text`, plus the event for other receivers). */
export function webhookBody(event: RolloutEvent): z.infer<typeof slackMessage> & { flightdeck: RolloutEvent } {
  return {
    ...slackMessage.parse({
      text: `${ICON[event.kind]} *${event.prompt}@${event.version}* ${event.text} (\`${event.workflowId}\`)`,
    }),
    flightdeck: event,
  };
}

/** POST the event; a non-2xx answer throws so the activity retries. */
export async function postWebhook(url: string, event: RolloutEvent): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(webhookBody(event)),
    signal: AbortSignal.timeout(5000),
  });
  if (!response.ok) throw new Error(`The webhook ${url} answered ${response.status}`);
}
