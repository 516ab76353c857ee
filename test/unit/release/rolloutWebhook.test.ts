import { webhookBody } from '../../../src/release/rolloutWebhook';

describe('rollout webhook', () => {
  it('posts Slack-compatible JSON', () => {
    const body = webhookBody({
      kind: 'abort',
      prompt: 'faq',
      version: '1.1.0',
      text: 'rolled back to 1.0.0: error rate',
      workflowId: 'rollout/faq',
    });
    expect(body.text).toBe(':rotating_light: *faq@1.1.0* rolled back to 1.0.0: error rate (`rollout/faq`)');
    expect(body.flightdeck.kind).toBe('abort');
  });
});
