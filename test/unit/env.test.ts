import { loadEnv } from '../../src/config/env';
import { InputError } from '../../src/errors';
import { defaultProviderConfig, providerNameFor } from '../../src/providers/config';

describe('environment', () => {
  it('has the documented defaults', () => {
    const env = loadEnv({});
    expect(env).toMatchObject({
      TEMPORAL_ADDRESS: 'localhost:7233',
      TEMPORAL_NAMESPACE: 'default',
      FLIGHTDECK_GATEWAY_PORT: 8787,
      FLIGHTDECK_SIMULATOR_PORT: 8788,
    });
    expect(env.flightdeckHome).toMatch(/\.flightdeck$/);
  });

  it('names a bad variable', () => {
    expect(() => loadEnv({ FLIGHTDECK_GATEWAY_PORT: 'eighty' })).toThrow(InputError);
    expect(() => loadEnv({ DATABASE_URL: 'not a url' })).toThrow(/DATABASE_URL/);
  });
});

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
