import { loadEnv } from '../../../src/config/env';
import { defaultProviderConfig, providerNameFor } from '../../../src/providers/config';

describe('provider routing defaults', () => {
  it('sends every model to the simulator when no keys are set', () => {
    const config = defaultProviderConfig(loadEnv({}));
    expect(providerNameFor(config, 'gpt-4o-mini-2024-07-18')).toBe('simulator');
    expect(providerNameFor(config, 'claude-haiku-4-5-20251001')).toBe('simulator-anthropic');
    expect(config.providers.simulator!.base_url).toBe('http://127.0.0.1:8788/v1');
  });

  it('uses the real APIs when keys are set', () => {
    const config = defaultProviderConfig(loadEnv({ OPENAI_API_KEY: 'sk-x', ANTHROPIC_API_KEY: 'sk-ant' }));
    expect(providerNameFor(config, 'gpt-4o-mini-2024-07-18')).toBe('openai');
    expect(providerNameFor(config, 'claude-haiku-4-5-20251001')).toBe('anthropic');
  });
});
