import { loadEnv } from '../../src/config/env';
import { defaultProviderConfig } from '../../src/providers/config';
import { ProviderDirectory, type Transport } from '../../src/providers/directory';
import { ProviderError } from '../../src/providers/errors';
import type { ChatMessage, Completion, ProviderAdapter } from '../../src/providers/types';
import { startSimulator, type RunningSimulator } from '../../src/simulator/server';

const messages: ChatMessage[] = [
  { role: 'system', content: 'Answer from the context.' },
  {
    role: 'user',
    content:
      'Context: Shipping is free over $50. Returns are accepted for 30 days.\n\nQuestion: When is shipping free?',
  },
];

async function collect(adapter: ProviderAdapter, model: string): Promise<{ deltas: string[]; completion: Completion }> {
  const deltas: string[] = [];
  for await (const event of adapter.stream({ model, messages })) {
    if (event.type === 'delta') deltas.push(event.text);
    else return { deltas, completion: event.completion };
  }
  throw new Error('stream ended without a done event');
}

// sdk: the official clients; http: the gateway's own client for OpenAI-shaped providers (Anthropic keeps its SDK).
describe.each<Transport>(['sdk', 'http'])('provider adapters over HTTP (%s transport)', (transport) => {
  let sim: RunningSimulator;
  let providers: ProviderDirectory;
  beforeAll(async () => {
    sim = await startSimulator({});
    const env = loadEnv({ FLIGHTDECK_SIMULATOR_PORT: String(sim.port) });
    providers = new ProviderDirectory(defaultProviderConfig(env), env, transport);
    for (const model of ['gpt-4o-mini-2024-07-18', 'claude-haiku-4-5-20251001']) {
      await fetch(`${sim.url}/admin/profiles/${model}`, {
        method: 'PUT',
        body: JSON.stringify({ ttftMs: 20, perTokenMs: 2 }),
      });
    }
  });
  afterEach(() => fetch(`${sim.url}/admin/faults`, { method: 'DELETE' }));
  afterAll(() => sim.close());

  it.each([
    ['gpt-4o-mini-2024-07-18', 'simulator'],
    ['claude-haiku-4-5-20251001', 'simulator-anthropic'],
  ])('%s: completion and stream give the same text, usage, timings and provider', async (model, provider) => {
    const adapter = providers.forModel(model);
    expect(adapter.name).toBe(provider);
    const done = await adapter.complete({ model, messages });
    expect(done.text).toContain('free over $50');
    expect(done).toMatchObject({ model, provider, finishReason: 'stop' });
    expect(done.usage.inputTokens).toBeGreaterThan(10);
    expect(done.latencyMs).toBeGreaterThanOrEqual(20);

    const { deltas, completion } = await collect(adapter, model);
    expect(deltas.join('')).toBe(done.text);
    expect(completion.usage).toEqual(done.usage);
    expect(completion.ttftMs).toBeGreaterThanOrEqual(15);
    expect(completion.latencyMs).toBeGreaterThan(completion.ttftMs);
  });

  it.each([
    ['gpt-4o-mini-2024-07-18', 'rate_limit', 'rate_limit', true],
    ['gpt-4o-mini-2024-07-18', 'server', 'server', true],
    ['claude-haiku-4-5-20251001', 'overloaded', 'overloaded', true],
    ['claude-haiku-4-5-20251001', 'auth', 'auth', false],
    ['gpt-4o-mini-2024-07-18', 'context_length', 'context_length', false],
  ])('%s: injected %s is classified %s (retryable %s)', async (model, fault, kind, retryable) => {
    await fetch(`${sim.url}/admin/faults`, { method: 'POST', body: JSON.stringify({ kind: fault }) });
    const error = await providers
      .forModel(model)
      .complete({ model, messages })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind, retryable });
  });

  it.each(['gpt-4o-mini-2024-07-18', 'claude-haiku-4-5-20251001'])(
    '%s: a stream cut mid-way is a retryable stream_cut',
    async (model) => {
      await fetch(`${sim.url}/admin/faults`, { method: 'POST', body: JSON.stringify({ kind: 'stream_cut' }) });
      await expect(collect(providers.forModel(model), model)).rejects.toMatchObject({
        kind: 'stream_cut',
        retryable: true,
      });
    },
  );

  it('turns a hang into a retryable timeout at the deadline', async () => {
    await fetch(`${sim.url}/admin/faults`, { method: 'POST', body: JSON.stringify({ kind: 'hang' }) });
    const model = 'gpt-4o-mini-2024-07-18';
    await expect(providers.forModel(model).complete({ model, messages, timeoutMs: 200 })).rejects.toMatchObject({
      kind: 'timeout',
      retryable: true,
    });
  });

  it('embeds through the OpenAI-compatible adapter and refuses on Anthropic', async () => {
    const result = await providers.forModel('text-embedding-3-small').embed('text-embedding-3-small', ['a', 'b']);
    expect(result.vectors).toHaveLength(2);
    await expect(providers.byName('simulator-anthropic').embed('x', ['a'])).rejects.toMatchObject({
      kind: 'unsupported',
    });
  });
});
