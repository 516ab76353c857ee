import { createHmac } from 'node:crypto';
import { alertSignature, alertWebhookBody, alertWebhookFromEnv } from '../../../src/monitoring/alertWebhook';

describe('alert webhook', () => {
  it('signs the timestamp and body with HMAC-SHA256, as receivers recompute it', () => {
    const expected = createHmac('sha256', 'k'.repeat(16)).update('1700000000.{"a":1}').digest('hex');
    expect(alertSignature('k'.repeat(16), '1700000000', '{"a":1}')).toBe(`sha256=${expected}`);
  });

  it("speaks Slack's text field and carries the alert for other receivers", () => {
    const body = alertWebhookBody({ key: 'k', ruleId: 'r', severity: 'ticket', summary: 's', numbers: {} });
    expect(body.text).toBe(':warning: *k* (ticket): s');
    expect(body.flightdeck.ruleId).toBe('r');
  });

  it('refuses a URL without a secret (unsigned alerts could be forged)', () => {
    expect(alertWebhookFromEnv({})).toBeUndefined();
    expect(() => alertWebhookFromEnv({ FLIGHTDECK_ALERT_WEBHOOK_URL: 'http://hook' })).toThrow(/_SECRET/);
    expect(
      alertWebhookFromEnv({
        FLIGHTDECK_ALERT_WEBHOOK_URL: 'http://hook',
        FLIGHTDECK_ALERT_WEBHOOK_SECRET: 's'.repeat(16),
      }),
    ).toEqual({ url: 'http://hook', secret: 's'.repeat(16) });
  });
});
