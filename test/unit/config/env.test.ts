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

  it('reads the gateways a drill or probe goes to as a list of URLs, and names a bad one', () => {
    expect(loadEnv({ FLIGHTDECK_GATEWAY_URLS: 'http://gw-1:8787/, http://gw-2:8787' }).FLIGHTDECK_GATEWAY_URLS).toEqual(
      ['http://gw-1:8787', 'http://gw-2:8787'],
    );
    expect(() => loadEnv({ FLIGHTDECK_GATEWAY_URLS: 'http://gw-1:8787,gw-2' })).toThrow(/FLIGHTDECK_GATEWAY_URLS/);
    expect(() => loadEnv({ FLIGHTDECK_GATEWAY_URLS: 'http://gw\u0000-1' })).toThrow(/FLIGHTDECK_GATEWAY_URLS/);
    expect(() => loadEnv({ FLIGHTDECK_GATEWAY_URLS: ',' })).toThrow(/FLIGHTDECK_GATEWAY_URLS/);
  });
});
