import { loadEnv } from '../../src/config/env';
import { defaultProviderConfig } from '../../src/providers/config';
import { ProviderDirectory } from '../../src/providers/directory';

/** Providers with every model routed to the simulator on `port` (as with no API keys set). */
export function simulatorProviders(port: number): ProviderDirectory {
  const env = loadEnv({ FLIGHTDECK_SIMULATOR_PORT: String(port) });
  return new ProviderDirectory(defaultProviderConfig(env), env);
}
