import { userInfo } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { InputError, describeZodIssues } from '../errors';

const port = z.coerce.number().int().min(1).max(65535);
const otlpProtocol = z.enum(['http/protobuf', 'http/json'], {
  error: 'expected http/protobuf (the default) or http/json; the gateway does not export over grpc',
});

const envSchema = z.object({
  DATABASE_URL: z.string().url().optional(),
  FLIGHTDECK_HOME: z.string().default('.flightdeck'),
  TEMPORAL_ADDRESS: z.string().default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_CLI_PATH: z.string().optional(),
  TEMPORAL_TEST_SERVER_PATH: z.string().optional(),
  TEMPORAL_UI_PORT: port.default(8233),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_BASE_URL: z.string().url().optional(),
  ANTHROPIC_API_KEY: z.string().optional(),
  ANTHROPIC_BASE_URL: z.string().url().optional(),
  FLIGHTDECK_GATEWAY_PORT: port.default(8787),
  /** Every gateway a kill drill sends its synthetic traffic to and checks (comma-separated; else this host's). */
  FLIGHTDECK_GATEWAY_URLS: z
    .string()
    .transform((list) => list.split(',').map((url) => url.trim().replace(/\/+$/, '')))
    .pipe(z.array(z.string().url('each of FLIGHTDECK_GATEWAY_URLS must be an http(s) URL')).min(1))
    .optional(),
  FLIGHTDECK_SIMULATOR_PORT: port.default(8788),
  /** Optional: the simulator's /admin API then needs this bearer token (dev leaves it open on localhost). */
  FLIGHTDECK_SIMULATOR_ADMIN_TOKEN: z.string().min(8).optional(),
  /** Port of the embedded Postgres (used only without DATABASE_URL). */
  FLIGHTDECK_POSTGRES_PORT: port.default(54329),
  FLIGHTDECK_PROVIDERS_FILE: z.string().optional(),
  FLIGHTDECK_GATEWAY_FILE: z.string().optional(),
  /** Monitor rules (else ./flightdeck.monitors.yaml when present, else the built-in rules). */
  FLIGHTDECK_MONITORS_FILE: z.string().optional(),
  /** Where new monitor alerts are posted (Slack-compatible), signed with the secret (HMAC-SHA256). */
  FLIGHTDECK_ALERT_WEBHOOK_URL: z.string().url().optional(),
  FLIGHTDECK_ALERT_WEBHOOK_SECRET: z.string().min(16, 'use at least 16 characters').optional(),
  // OpenTelemetry's standard variables; the exporter also reads _HEADERS, _TIMEOUT, _COMPRESSION itself.
  OTEL_SDK_DISABLED: z.enum(['true', 'false']).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.string().url().optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol.optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol.optional(),
  /** The GenAI conventions' switch for message content on spans (off by default: prompts are data). */
  OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: z.enum(['true', 'false']).optional(),
  FLIGHTDECK_ACTOR: z.string().optional(),
  /** The console's port, its operator key (else one is made up at start and printed) and a trace viewer URL with {trace_id}. */
  FLIGHTDECK_CONSOLE_PORT: port.default(8790),
  FLIGHTDECK_CONSOLE_KEY: z.string().min(16, 'use at least 16 characters').optional(),
  FLIGHTDECK_TRACE_URL: z
    .string()
    .url()
    .refine(
      (url) => /^https?:\/\//.test(url) && url.includes('{trace_id}'),
      'must be an http(s) URL containing {trace_id}, e.g. http://localhost:16686/trace/{trace_id}',
    )
    .optional(),
  /** Slack-compatible incoming webhook the rollout workflow posts its events to. */
  FLIGHTDECK_WEBHOOK_URL: z.string().url().optional(),
});

export type Env = z.infer<typeof envSchema> & { flightdeckHome: string };

/** Parse the environment once at a boundary; a bad value names the variable. */
export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) throw new InputError(describeZodIssues('The environment', parsed.error.issues));
  return { ...parsed.data, flightdeckHome: path.resolve(parsed.data.FLIGHTDECK_HOME) };
}

/** Who is acting, for audit rows: FLIGHTDECK_ACTOR, else the OS user. */
export function currentActor(env: Env = loadEnv()): string {
  return env.FLIGHTDECK_ACTOR ?? process.env.USER ?? userInfo().username;
}
