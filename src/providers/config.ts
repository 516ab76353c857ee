import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import type { Env } from '../config/env';
import { InputError, describeZodIssues } from '../errors';

const providerSchema = z.strictObject({
  api: z.enum(['openai', 'anthropic']),
  base_url: z.string().url().optional(),
  /** Name of the env var holding the key (preferred: keys stay out of files). */
  api_key_env: z.string().optional(),
  api_key: z.string().optional(),
  timeout_ms: z.number().int().positive().optional(),
  /** The admin key that reads the organization's usage report (nightly reconciliation), by env var or inline. */
  admin_key_env: z.string().optional(),
  admin_key: z.string().optional(),
});

const providerFileSchema = z.strictObject({
  providers: z.record(z.string(), providerSchema).default({}),
  /** Rules checked in order: the first whose glob matches the model id picks the provider. */
  models: z.array(z.strictObject({ match: z.string(), provider: z.string() })).default([]),
});

export type ProviderEntry = z.infer<typeof providerSchema>;
export type ProviderConfig = z.infer<typeof providerFileSchema>;

export const DEFAULT_PROVIDERS_FILE = 'flightdeck.providers.yaml';

/**
 * Built-in routes: claude-* to Anthropic, everything else to OpenAI (or OPENAI_BASE_URL, e.g. vLLM).
 * With no key for an API, its models go to the local simulator, which speaks both APIs; that is
 * what lets `dev`, `demo` and the tests run with no account anywhere.
 */
export function defaultProviderConfig(env: Env): ProviderConfig {
  const simulatorUrl = `http://127.0.0.1:${env.FLIGHTDECK_SIMULATOR_PORT}`;
  const openaiReal = Boolean(env.OPENAI_API_KEY || env.OPENAI_BASE_URL);
  const anthropicReal = Boolean(env.ANTHROPIC_API_KEY);
  return {
    providers: {
      openai: {
        api: 'openai',
        base_url: env.OPENAI_BASE_URL,
        api_key_env: 'OPENAI_API_KEY',
        admin_key_env: 'OPENAI_ADMIN_KEY',
      },
      anthropic: {
        api: 'anthropic',
        base_url: env.ANTHROPIC_BASE_URL,
        api_key_env: 'ANTHROPIC_API_KEY',
        admin_key_env: 'ANTHROPIC_ADMIN_KEY',
      },
      simulator: { api: 'openai', base_url: `${simulatorUrl}/v1`, api_key: 'simulator', admin_key: 'simulator' },
      'simulator-anthropic': { api: 'anthropic', base_url: simulatorUrl, api_key: 'simulator', admin_key: 'simulator' },
    },
    models: [
      { match: 'claude-*', provider: anthropicReal ? 'anthropic' : 'simulator-anthropic' },
      { match: '*', provider: openaiReal ? 'openai' : 'simulator' },
    ],
  };
}

/** Defaults, overlaid by the providers file (FLIGHTDECK_PROVIDERS_FILE, else ./flightdeck.providers.yaml if present). */
export function loadProviderConfig(env: Env): ProviderConfig {
  const defaults = defaultProviderConfig(env);
  const file =
    env.FLIGHTDECK_PROVIDERS_FILE ?? (existsSync(DEFAULT_PROVIDERS_FILE) ? DEFAULT_PROVIDERS_FILE : undefined);
  if (!file) return defaults;
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new InputError(`Cannot read providers file ${file}: ${(error as Error).message}`);
  }
  const parsed = providerFileSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new InputError(describeZodIssues(`Providers file ${file}`, parsed.error.issues));
  const providers = { ...defaults.providers, ...parsed.data.providers };
  for (const rule of parsed.data.models) {
    if (!providers[rule.provider])
      throw new InputError(
        `Providers file ${file}: model rule "${rule.match}" names unknown provider "${rule.provider}"`,
      );
  }
  return { providers, models: [...parsed.data.models, ...defaults.models] };
}

const compiledGlobs = new Map<string, RegExp>();

/** Compiled once per glob: the gateway resolves a provider on every request. */
function globToRegExp(glob: string): RegExp {
  let pattern = compiledGlobs.get(glob);
  if (!pattern) {
    pattern = new RegExp(
      `^${glob
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    );
    compiledGlobs.set(glob, pattern);
  }
  return pattern;
}

/** The provider name that serves a model id. */
export function providerNameFor(config: ProviderConfig, model: string): string {
  const rule = config.models.find((r) => globToRegExp(r.match).test(model));
  if (!rule)
    throw new InputError(`No provider serves model "${model}"; add a rule under models: in ${DEFAULT_PROVIDERS_FILE}`);
  return rule.provider;
}
