import { loadEnv } from '../../../src/config/env';
import { InputError } from '../../../src/errors';

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
