import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { InputError, describeZodIssues } from '../errors';
import type { Env } from './env';

const outputRuleSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9_.-]*$/, 'expected a rule id like output.credentials'),
  category: z.string().min(1),
  /** Case-insensitive regular expressions; any match applies the rule. */
  patterns: z.array(z.string().min(1)).min(1),
  action: z.enum(['block', 'flag']).default('flag'),
});
export type OutputRule = z.infer<typeof outputRuleSchema>;

/** Output categories refused or flagged out of the box; the gateway file replaces them. */
export const DEFAULT_OUTPUT_RULES: OutputRule[] = [
  {
    id: 'output.credentials',
    category: 'secret leak',
    patterns: ['\\bsk-[A-Za-z0-9]{20,}', '-----BEGIN [A-Z ]*PRIVATE KEY-----', '\\bAKIA[0-9A-Z]{16}\\b'],
    action: 'block',
  },
  {
    id: 'output.weapons',
    category: 'weapons',
    patterns: ['\\b(build|make|assemble) (a |an )?(pipe )?bomb\\b', '\\bnerve agent synthesis\\b'],
    action: 'block',
  },
  {
    id: 'output.self_harm',
    category: 'self-harm',
    patterns: ['\\bhow to (kill|hurt) (yourself|myself)\\b'],
    action: 'flag',
  },
];

const gatewayFileSchema = z.strictObject({
  /** Ordered fallback targets per model id when callers use a model id directly. */
  model_fallbacks: z.record(z.string(), z.array(z.string().min(1))).default({}),
  output_rules: z.array(outputRuleSchema).optional(),
  /** Whole-request deadline, fallbacks included. */
  deadline_ms: z.number().int().positive().default(30_000),
  /** One attempt at one target; past it the attempt counts as a timeout and the next target is tried. */
  attempt_timeout_ms: z.number().int().positive().default(15_000),
  /** Per-request input cap when the prompt sets none, on the UTF-8 byte bound (about 32k tokens of English). */
  max_input_tokens: z.number().int().positive().default(128_000),
  circuit: z
    .strictObject({
      failures: z.number().int().positive().default(5),
      cooldown_ms: z.number().int().positive().default(10_000),
    })
    .default({ failures: 5, cooldown_ms: 10_000 }),
  /** How long request bodies are kept for triage. */
  body_retention_days: z.number().positive().default(7),
  /** How long request rows are kept (whole day partitions are dropped; rollups stay). */
  log_retention_days: z.number().int().positive().default(90),
  /** Requests mirrored to a shadow target at most this many at a time (beyond: skipped, counted). */
  max_shadow_in_flight: z.number().int().positive().default(32),
  /** Open sockets at most; past it new connections are dropped, so idle sockets cannot use up file descriptors. */
  max_connections: z.number().int().positive().default(4096),
  /** A client must send its headers within this, and its whole body within request_timeout_ms (slowloris). */
  headers_timeout_ms: z.number().int().positive().default(10_000),
  request_timeout_ms: z.number().int().positive().default(30_000),
  /** A streaming client that reads nothing for this long is cut off (its buffered events would grow without bound). */
  stream_write_timeout_ms: z.number().int().positive().default(30_000),
  /** Concurrent streams one tenant may hold open; beyond: 429. */
  max_streams_per_tenant: z.number().int().positive().default(64),
  /** While Postgres is away, the share of each hard budget limit one gateway may spend on its own. */
  budget_offline_share: z.number().min(0).max(1).default(0.1),
  /** Request rows waiting in memory (Postgres and disk both refusing) past which new requests get 503. */
  log_max_buffered_rows: z.number().int().positive().default(20_000),
  /** Expired response-cache rows are deleted at most this often (by the next cache write). */
  cache_purge_interval_ms: z.number().int().nonnegative().default(60_000),
  /** A budget lease not renewed this long (its gateway died) expires and its hold is given back. */
  budget_lease_ttl_ms: z.number().int().min(1000).default(60_000),
});
export type GatewayConfig = z.infer<typeof gatewayFileSchema> & { output_rules: OutputRule[] };

export const DEFAULT_GATEWAY_FILE = 'flightdeck.gateway.yaml';

/** Defaults, overlaid by FLIGHTDECK_GATEWAY_FILE or ./flightdeck.gateway.yaml when present. */
export function loadGatewayConfig(env: Pick<Env, 'FLIGHTDECK_GATEWAY_FILE'>): GatewayConfig {
  const file = env.FLIGHTDECK_GATEWAY_FILE ?? (existsSync(DEFAULT_GATEWAY_FILE) ? DEFAULT_GATEWAY_FILE : undefined);
  let raw: unknown = {};
  if (file) {
    try {
      raw = parse(readFileSync(file, 'utf8')) ?? {};
    } catch (error) {
      throw new InputError(`Cannot read gateway file ${file}: ${(error as Error).message}`);
    }
  }
  const parsed = gatewayFileSchema.safeParse(raw);
  if (!parsed.success) throw new InputError(describeZodIssues(`Gateway file ${file}`, parsed.error.issues));
  const rules = parsed.data.output_rules ?? DEFAULT_OUTPUT_RULES;
  for (const rule of rules) {
    for (const pattern of rule.patterns) {
      try {
        new RegExp(pattern, 'i');
      } catch (error) {
        throw new InputError(
          `Gateway file ${file}: rule ${rule.id} has an invalid pattern ${pattern}: ${(error as Error).message}`,
        );
      }
    }
  }
  return { ...parsed.data, output_rules: rules };
}
