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

/**
 * POST an alert, signed; retried with backoff on failure or timeout. Never throws: a receiver that
 * is down must not stop the monitor pass (the alert is stored either way). Returns whether it landed.
 */
export async function notifyAlert(
  webhook: AlertWebhook,
  alert: Firing,
  options: { attempts?: number; timeoutMs?: number; backoffMs?: number } = {},
): Promise<boolean> {
  const body = JSON.stringify(alertWebhookBody(alert));
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
