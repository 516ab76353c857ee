import { Random } from '../../src/simulator/random';
import { tinyPrompt } from '../fixtures/prompts';
import { eventually, startGatewayHarness, type GatewayHarness } from '../harness/gateway';

let h: GatewayHarness;
let key: string;

beforeAll(async () => {
  h = await startGatewayHarness();
  await h.push(tinyPrompt('greet', '1.0.0', 'Say hello to {{who}}'));
  key = await h.tenant('fuzzer');
  await eventually(() => h.gateway.state.routes.has('greet'));
});
afterAll(() => h.close());

interface Case {
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  body: string;
}

const int = (r: Random, low: number, high: number) => low + Math.floor(r.next() * (high - low + 1));

const junk = (r: Random): unknown => {
  const kinds: Array<() => unknown> = [
    () => null,
    () => int(r, -1e9, 1e9),
    () => r.next() * 1e308,
    () => 'x'.repeat(int(r, 0, 50)),
    () => [1, 'a', null],
    () => ({ nested: { deep: [{}] } }),
    () => true,
    () => '\u0000\uffff\ud800',
  ];
  return kinds[int(r, 0, kinds.length - 1)]!();
};

/** Bodies that are wrong in one way each: the gateway must say so with a 4xx, whatever they hold. */
function malformed(r: Random): Case {
  const valid = { model: 'sim-instant', messages: [{ role: 'user', content: 'hi' }] };
  const generators: Array<() => Case> = [
    () => ({
      body: ['{', '{"model":', 'nul', '[1,2', '{"a":1}}', '', '   ', '\u0000', '{"model":"x",}'][int(r, 0, 8)]!,
    }),
    () => ({ body: JSON.stringify(junk(r)) }),
    () => ({
      body: JSON.stringify({ ...valid, model: [null, 42, '', ' spaced id', '\u0000x', {}, ['m']][int(r, 0, 6)] }),
    }),
    () => ({ body: JSON.stringify({ ...valid, messages: junk(r) }) }),
    () => ({
      body: JSON.stringify({ ...valid, messages: [{ role: ['tool', 'robot', 7, null][int(r, 0, 3)], content: 'hi' }] }),
    }),
    () => ({
      body: JSON.stringify({ ...valid, messages: [{ role: 'user', content: junk(r) === null ? 5 : { text: 1 } }] }),
    }),
    () => ({ body: JSON.stringify({ ...valid, temperature: [5, -1, 'hot', {}][int(r, 0, 3)] }) }),
    () => ({ body: JSON.stringify({ ...valid, max_tokens: [0, -5, 1.5, 'many', 1e12][int(r, 0, 4)] }) }),
    () => ({ body: JSON.stringify({ ...valid, stream: ['yes', 1, {}][int(r, 0, 2)] }) }),
    () => ({ body: JSON.stringify({ ...valid, n: int(r, 2, 5) }) }),
    () => ({ body: JSON.stringify({ ...valid, messages: [] }) }),
    () => ({ body: JSON.stringify({ model: `prompt:unknown-${int(r, 0, 1e6)}`, messages: [] }) }),
    () => ({
      body: JSON.stringify({
        model: `prompt:${['BAD NAME', '../etc', '', 'a'.repeat(80)][int(r, 0, 3)]}`,
        messages: [],
      }),
    }),
    () => ({
      body: JSON.stringify({ model: 'prompt:greet', messages: [], variables: { who: junk(r) === null ? 1 : [] } }),
    }),
    () => ({
      body: JSON.stringify({ model: 'prompt:greet', messages: [], variables: junk(r) === null ? 'who' : [1] }),
    }),
    () => ({ body: JSON.stringify({ model: 'prompt:greet', messages: [], variables: { other: 'x' } }) }),
    () => ({ body: JSON.stringify({ ...valid, variables: { who: 'x' } }) }),
    () => ({
      body: JSON.stringify({ ...valid, messages: [{ role: 'user', content: 'y'.repeat(int(r, 200_000, 400_000)) }] }),
    }),
    () => ({
      headers: {
        authorization: ['Bearer', 'Basic abc', `Bearer ${key}x`, 'bearer', `Token ${key}`, 'Bearer \u00ff'][
          int(r, 0, 5)
        ]!,
      },
      body: JSON.stringify(valid),
    }),
    () => ({
      headers: { 'x-flightdeck-feature': ['has space', '-lead', 'x'.repeat(100), 'caf\u00e9 \u00ff'][int(r, 0, 3)]! },
      body: JSON.stringify(valid),
    }),
    () => ({
      headers: { 'content-type': ['text/plain', 'application/xml', 'multipart/form-data'][int(r, 0, 2)]! },
      body: '<xml/>',
    }),
    () => ({
      path: `/v1/prompts/${['greet', 'nope', '%E0%A4%A', 'a b'][int(r, 0, 3)]}/run`,
      body: JSON.stringify({ variables: junk(r), extra: 1 }),
    }),
    () => ({
      path: '/v1/feedback',
      body: JSON.stringify({ request_id: junk(r), score: [2, 'good', null][int(r, 0, 2)] }),
    }),
    () => ({ path: '/v1/feedback', body: JSON.stringify({ request_id: `req_${int(r, 0, 1e9)}`, score: 1 }) }),
    () => ({ path: `/v1/requests/req_${int(r, 0, 1e9)}`, method: 'GET', body: '' }),
    () => ({ path: ['/v1/completions', '/v2/chat', '/', '/v1/chat/completions/x'][int(r, 0, 3)]!, body: '{}' }),
    () => ({ method: ['GET', 'PUT', 'DELETE', 'PATCH'][int(r, 0, 3)]!, body: '' }),
  ];
  return generators[int(r, 0, generators.length - 1)]!();
}

describe('malformed input', () => {
  it('thousands of bad requests each get a 4xx in OpenAI error shape, and the gateway keeps serving', async () => {
    const random = new Random(20261123);
    const cases = Array.from({ length: 3000 }, () => malformed(random));
    // A few bodies over the 1 MiB limit too.
    for (let i = 0; i < 10; i++)
      cases.push({
        body: JSON.stringify({ model: 'sim-instant', messages: [{ role: 'user', content: 'z'.repeat(1_100_000) }] }),
      });

    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const c = cases[next++]!;
        const method = c.method ?? 'POST';
        const response = await fetch(`${h.gateway.url}${c.path ?? '/v1/chat/completions'}`, {
          method,
          headers: { authorization: `Bearer ${key}`, ...c.headers },
          body: method === 'GET' || method === 'DELETE' ? undefined : c.body,
        }).catch((error: Error) => ({
          failed: `${error.message} ${String((error as { cause?: unknown }).cause ?? '')}`,
        }));
        if ('failed' in response) {
          failures.push(`${method} ${c.path ?? ''} ${c.body.length} bytes: ${response.failed}`);
          continue;
        }
        const text = await response.text();
        let shape: { error?: Record<string, unknown> } = {};
        try {
          shape = JSON.parse(text);
        } catch {
          // reported below
        }
        const error = shape.error;
        const wellFormed =
          error &&
          typeof error.type === 'string' &&
          typeof error.message === 'string' &&
          'param' in error &&
          'code' in error;
        if (response.status < 400 || response.status >= 500 || !wellFormed)
          failures.push(`${response.status} ${method} ${c.path ?? ''} ${c.body.slice(0, 80)} -> ${text.slice(0, 160)}`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    expect(failures).toEqual([]);
    expect((await fetch(`${h.gateway.url}/healthz`)).status).toBe(200);
    const ok = await h
      .client(key)
      .chat.completions.create({ model: 'sim-instant', messages: [{ role: 'user', content: 'still there?' }] });
    expect(ok.choices[0]!.message.content).toBeTruthy();
  }, 120_000);
});
