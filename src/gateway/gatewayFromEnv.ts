import type { Writable } from 'node:stream';
import type { Env } from '../config/env';
import { loadGatewayConfig } from '../config/gatewayConfig';
import { loadProviderConfig } from '../providers/config';
import { ProviderDirectory } from '../providers/directory';
import { startGateway, type GatewayOptions, type RunningGateway } from './gateway';
import { isGatewayWorker } from './gatewayCluster';

/** A gateway configured the usual way: providers file, gateway file, FLIGHTDECK_GATEWAY_PORT, the OTEL_* variables. */
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
    otlp: otlpFromEnv(env),
    captureMessages: env.OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT === 'true',
    clusterWorker: isGatewayWorker(),
  });
}

/** OTLP export when a collector is named and the SDK is not disabled; protobuf unless a protocol is set. */
function otlpFromEnv(env: Env): GatewayOptions['otlp'] {
  if (env.OTEL_SDK_DISABLED === 'true') return undefined;
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return undefined;
  return { protocol: env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf' };
}
