import type { Writable } from 'node:stream';
import type { Env } from '../config/env';
import { loadGatewayConfig } from '../config/gatewayConfig';
import { loadProviderConfig } from '../providers/config';
import { ProviderDirectory } from '../providers/directory';
import { startGateway, type RunningGateway } from './gateway';

/** A gateway configured the usual way: providers file, gateway file, FLIGHTDECK_GATEWAY_PORT, OTEL endpoint. */
export function startGatewayFromEnv(
  env: Env,
  databaseUrl: string,
  options: { port?: number; host?: string; jsonLines?: Writable | null } = {},
): Promise<RunningGateway> {
  const providerConfig = loadProviderConfig(env);
  return startGateway({
    databaseUrl,
    providers: new ProviderDirectory(providerConfig, env, 'http'),
    providerConfig,
    config: loadGatewayConfig(env),
    port: options.port ?? env.FLIGHTDECK_GATEWAY_PORT,
    host: options.host,
    home: env.flightdeckHome,
    jsonLines: options.jsonLines,
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
  });
}
