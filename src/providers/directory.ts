import { lazy } from '../util/lazy';
import type { Env } from '../config/env';
import { InputError } from '../errors';
import { providerNameFor, type ProviderConfig } from './config';
import type { ApiShape, ProviderAdapter } from './types';

// Each SDK takes 50-150 ms to load; only the ones a command actually calls are loaded.
const adapters = {
  openai: lazy(() => (require('./openaiAdapter') as typeof import('./openaiAdapter')).OpenAIAdapter),
  openaiHttp: lazy(() => (require('./openaiHttpAdapter') as typeof import('./openaiHttpAdapter')).OpenAIHttpAdapter),
  anthropic: lazy(() => (require('./anthropicAdapter') as typeof import('./anthropicAdapter')).AnthropicAdapter),
};

/**
 * sdk: the official clients (evals, workflows). http: OpenAI-shaped providers through our lean
 * keep-alive client, for the gateway's hot path (see docs/decisions.md); Anthropic keeps its SDK.
 */
export type Transport = 'sdk' | 'http';

export type UsageReportAccess =
  { available: true; api: ApiShape; baseUrl: string; adminKey: string } | { available: false; reason: string };

/** Hands out one adapter per configured provider, created on first use. */
export class ProviderDirectory {
  private readonly adapters = new Map<string, ProviderAdapter>();

  constructor(
    readonly config: ProviderConfig,
    private readonly env: Env,
    private readonly transport: Transport = 'sdk',
  ) {}

  forModel(model: string): ProviderAdapter {
    return this.byName(providerNameFor(this.config, model));
  }

  byName(name: string): ProviderAdapter {
    const existing = this.adapters.get(name);
    if (existing) return existing;
    const entry = this.config.providers[name];
    if (!entry)
      throw new InputError(`Unknown provider "${name}"; configured: ${Object.keys(this.config.providers).join(', ')}`);
    const apiKey = this.secret(entry.api_key, entry.api_key_env);
    // OpenAI-compatible local servers (vLLM, Ollama) often take any key; the SDK still wants a string.
    const key = apiKey ?? 'none';
    const options = { name, apiKey: key, baseURL: entry.base_url, timeoutMs: entry.timeout_ms };
    const Adapter = entry.api === 'openai' && this.transport === 'http' ? adapters.openaiHttp() : adapters[entry.api]();
    const adapter = new Adapter(options);
    this.adapters.set(name, adapter);
    return adapter;
  }

  /** Where a provider's organization usage report is read, and with which admin key (or why it cannot be). */
  usageReportAccess(name: string): UsageReportAccess {
    const entry = this.config.providers[name];
    if (!entry) return { available: false, reason: `provider "${name}" is no longer configured` };
    const adminKey = this.secret(entry.admin_key, entry.admin_key_env);
    if (!adminKey)
      return {
        available: false,
        reason: `no admin key: set ${entry.admin_key_env ?? `admin_key_env for provider ${name} in the providers file`}`,
      };
    const baseUrl =
      entry.base_url ?? (entry.api === 'openai' ? 'https://api.openai.com/v1' : 'https://api.anthropic.com');
    return { available: true, api: entry.api, baseUrl: baseUrl.replace(/\/$/, ''), adminKey };
  }

  private secret(inline: string | undefined, envName: string | undefined): string | undefined {
    const value =
      inline ?? (envName ? ((this.env as Record<string, unknown>)[envName] ?? process.env[envName]) : undefined);
    return typeof value === 'string' && value ? value : undefined;
  }
}
