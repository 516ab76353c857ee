import { createHmac } from 'node:crypto';
import type { Env } from '../config/env';
import { InputError } from '../errors';
import type { Firing } from './alertStore';

export interface AlertWebhook {
  url: string;
  /** Receivers check `x-flightdeck-signature` against HMAC-SHA256(secret, `${timestamp}.${body}`). */
  secret: string;
}

/** The webhook from FLIGHTDECK_ALERT_WEBHOOK_URL and _SECRET; a URL without a secret is refused (unsigned alerts can be forged). */
export function alertWebhookFromEnv(
  env: Pick<Env, 'FLIGHTDECK_ALERT_WEBHOOK_URL' | 'FLIGHTDECK_ALERT_WEBHOOK_SECRET'>,
): AlertWebhook | undefined {
  if (!env.FLIGHTDECK_ALERT_WEBHOOK_URL) return undefined;
  if (!env.FLIGHTDECK_ALERT_WEBHOOK_SECRET)
    throw new InputError(
      'FLIGHTDECK_ALERT_WEBHOOK_URL is set without FLIGHTDECK_ALERT_WEBHOOK_SECRET; set a secret of 16+ characters so receivers can verify alerts',
    );
  return { url: env.FLIGHTDECK_ALERT_WEBHOOK_URL, secret: env.FLIGHTDECK_ALERT_WEBHOOK_SECRET };
}

const ICON = { page: ':rotating_light:', ticket: ':warning:' } as const;

/** Slack's incoming-webhook shape (`text`), plus the alert itself for other receivers. */
export function alertWebhookBody(alert: Firing): { text: string; flightdeck: Firing } {
  return {
    text: `${ICON[alert.severity]} *${alert.key}* (${alert.severity}): ${alert.summary}${alert.playbook ? ` - playbook \`${alert.playbook}\`` : ''}`,
    flightdeck: alert,
  };
}

/** `sha256=<hex>` over the timestamp and the exact body sent, so a receiver can refuse forgeries and replays. */
export function alertSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** More new alerts than this in one pass are posted as one digest: a storm must not flood the channel or stall the pass. */
export const DIGEST_AFTER = 5;
const DIGEST_KEYS_SHOWN = 10;

/** One message for a storm of new alerts: how many per rule, the first keys, and where to see them all. */
export function digestWebhookBody(alerts: readonly Firing[]): {
  text: string;
  flightdeck: { digest: true; alerts: Firing[] };
} {
  const perRule = new Map<string, number>();
  for (const alert of alerts) perRule.set(alert.ruleId, (perRule.get(alert.ruleId) ?? 0) + 1);
  const pages = alerts.some((a) => a.severity === 'page');
  const rules = [...perRule].map(([rule, n]) => `${rule} ×${n}`).join(', ');
  const shown = alerts
    .slice(0, DIGEST_KEYS_SHOWN)
    .map((a) => `*${a.key}*`)
    .join(', ');
  const more = alerts.length > DIGEST_KEYS_SHOWN ? ` and ${alerts.length - DIGEST_KEYS_SHOWN} more` : '';
  return {
    text: `${ICON[pages ? 'page' : 'ticket']} ${alerts.length} new alerts: ${rules}. ${shown}${more}. See \`flightdeck alerts list\`.`,
    flightdeck: { digest: true, alerts: [...alerts] },
  };
}

type PostOptions = { attempts?: number; timeoutMs?: number; backoffMs?: number };

/**
 * POST an alert, signed; retried with backoff on failure or timeout. Never throws: a receiver that
 * is down must not stop the monitor pass (the alert is stored either way). Returns whether it landed.
 */
export function notifyAlert(webhook: AlertWebhook, alert: Firing, options: PostOptions = {}): Promise<boolean> {
  return postSigned(webhook, alertWebhookBody(alert), options);
}

/** The new alerts of one pass: one message each, or one digest for a storm. Returns how many alerts were delivered. */
export async function notifyNewAlerts(
  webhook: AlertWebhook,
  alerts: readonly Firing[],
  options: PostOptions = {},
): Promise<number> {
  if (alerts.length > DIGEST_AFTER)
    return (await postSigned(webhook, digestWebhookBody(alerts), options)) ? alerts.length : 0;
  let delivered = 0;
  for (const alert of alerts) if (await notifyAlert(webhook, alert, options)) delivered += 1;
  return delivered;
}

/** POST a signed JSON payload, retried with backoff; never throws. Returns whether it landed. */
export async function postSigned(webhook: AlertWebhook, payload: object, options: PostOptions): Promise<boolean> {
  const body = JSON.stringify(payload);
  const attempts = options.attempts ?? 3;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    try {
      const response = await fetch(webhook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-flightdeck-timestamp': timestamp,
          'x-flightdeck-signature': alertSignature(webhook.secret, timestamp, body),
        },
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
      });
      await response.arrayBuffer();
      if (response.ok) return true;
    } catch {
      // refused, reset or timed out: retried below
    }
    if (attempt < attempts)
      await new Promise((resolve) => setTimeout(resolve, (options.backoffMs ?? 500) * 2 ** (attempt - 1)));
  }
  return false;
}
