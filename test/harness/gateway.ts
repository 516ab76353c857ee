import type { Writable } from 'node:stream';
import OpenAI from 'openai';
import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { loadEnv } from '../../src/config/env';
import { loadGatewayConfig, type GatewayConfig } from '../../src/config/gatewayConfig';
import { startGateway, type RunningGateway } from '../../src/gateway/gateway';
import { defaultProviderConfig } from '../../src/providers/config';
import { ProviderDirectory } from '../../src/providers/directory';
import { pushPrompts } from '../../src/registry/registry';
import type { PromptFile } from '../../src/registry/promptFile';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server';
import { createTenant, type NewTenant } from '../../src/tenants/tenantStore';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from './database';

export interface GatewayHarness {
  db: TestDatabase;
  sim: RunningSimulator;
  gateway: RunningGateway;
  home: string;
  push(...files: PromptFile[]): Promise<void>;
  /** A tenant and its API key. */
  tenant(id: string, options?: Partial<Omit<NewTenant, 'id' | 'actor'>>): Promise<string>;
  /** The official openai client pointed at the gateway. */
  client(apiKey: string, options?: { maxRetries?: number }): OpenAI;
  close(): Promise<void>;
}

/** A real gateway on a fresh database, with every model served by a real simulator. */
export async function startGatewayHarness(
  options: {
    config?: Partial<GatewayConfig>;
    spanExporter?: SpanExporter;
    jsonLines?: Writable;
    db?: TestDatabase;
  } = {},
): Promise<GatewayHarness> {
  const db = options.db ?? (await createTestDatabase());
  const sim = await startSimulator({ port: 0 });
  const env = loadEnv({ FLIGHTDECK_SIMULATOR_PORT: String(sim.port) });
  const providerConfig = defaultProviderConfig(env);
  const home = mkdtempSync(path.join(tmpdir(), 'fd-gateway-'));
  const gateway = await startGateway({
    databaseUrl: db.url,
    providers: new ProviderDirectory(providerConfig, env, 'http'),
    providerConfig,
    config: { ...loadGatewayConfig({}), ...options.config },
    port: 0,
    home,
    jsonLines: options.jsonLines ?? null,
    spanExporter: options.spanExporter,
    flushIntervalMs: 20,
  });
  return {
    db,
    sim,
    gateway,
    home,
    push: async (...files) => {
      await pushPrompts(db.pool, files, 'test');
    },
    tenant: async (id, extra = {}) =>
      (await createTenant(db.pool, { id, tier: 'free', experimentsOptIn: false, actor: 'test', ...extra })).apiKey,
    client: (apiKey, clientOptions = {}) =>
      new OpenAI({ apiKey, baseURL: `${gateway.url}/v1`, maxRetries: clientOptions.maxRetries ?? 0 }),
    close: async () => {
      await gateway.close();
      await sim.close();
      if (!options.db) await db.drop();
    },
  };
}

/** Wait until a condition holds (a NOTIFY-driven reload, a flushed row), failing after `ms`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  ms = 5000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
