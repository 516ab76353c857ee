import type { FaultRequest } from '../../src/simulator/faults';
import { parsePromptFile } from '../../src/registry/promptFile';
import { eventually, startGatewayHarness, type GatewayHarness } from '../harness/gateway';

const PRIMARY = 'gpt-4o-mini-2024-07-18';
const FALLBACK = 'claude-haiku-4-5-20251001';

let h: GatewayHarness;
let key: string;

beforeAll(async () => {
  h = await startGatewayHarness({
    // An attempt gets 1.5 s: a hung provider is left that soon, and a loaded CI machine still answers within it.
    config: { attempt_timeout_ms: 1500, deadline_ms: 5000, circuit: { failures: 3, cooldown_ms: 800 } },
  });
  await h.push(
    parsePromptFile(
      `
name: answer
version: 1.0.0
owner: team
model: ${PRIMARY}
variables: { q: { type: string } }
template: { user: "{{q}}" }
fallbacks: [${FALLBACK}]
`,
      'answer.yaml',
    ),
  );
  key = await h.tenant('acme');
  await eventually(() => h.gateway.state.routes.has('answer'));
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Each test starts with a closed circuit: past the cool-down, one good call closes it.
afterEach(async () => {
  h.sim.engine.faults.clear();
  await sleep(850);
  await ask();
});
afterAll(() => h.close());

const inject = (fault: Partial<FaultRequest> & { kind: FaultRequest['kind'] }) =>
  h.sim.engine.faults.inject({ model: PRIMARY, count: 1, ...fault });

async function ask(stream = false) {
  const client = h.client(key);
  const body = { model: 'prompt:answer', messages: [], variables: { q: 'Where is my parcel?' } } as never;
  if (!stream) {
    const { data, response } = await client.chat.completions.create(body).withResponse();
    return {
      text: data.choices[0]!.message.content ?? '',
      model: data.model,
      requestId: response.headers.get('x-flightdeck-request-id')!,
    };
  }
  const { data, response } = await client.chat.completions
    .create({ ...(body as object), stream: true } as never)
    .withResponse();
  let text = '';
  let model = '';
  for await (const chunk of data as unknown as AsyncIterable<{
    model: string;
    choices: Array<{ delta?: { content?: string } }>;
  }>) {
    text += chunk.choices[0]?.delta?.content ?? '';
    model = chunk.model;
  }
  return { text, model, requestId: response.headers.get('x-flightdeck-request-id')! };
}

async function row(requestId: string) {
  return eventually(
    async () => (await h.db.pool.query('SELECT * FROM requests WHERE request_id = $1', [requestId])).rows[0],
  );
}

describe('fallback when the primary provider fails', () => {
  it.each([
    ['overloaded (529)', 'overloaded', false],
    ['server error (500)', 'server', false],
    ['timeout (hang)', 'hang', false],
    ['rate limit (429)', 'rate_limit', false],
    ['stream cut before the first token', 'stream_cut_start', true],
  ] as const)('%s: the request succeeds on the fallback and the log says so', async (_label, kind, stream) => {
    inject({ kind });
    const answer = await ask(stream);
    expect(answer.text.length).toBeGreaterThan(0);
    const logged = await row(answer.requestId);
    expect(logged).toMatchObject({
      status: 200,
      fallback_used: true,
      model: FALLBACK,
      provider: 'simulator-anthropic',
    });
    expect(logged.attempts[0]).toMatchObject({
      model: PRIMARY,
      outcome:
        { hang: 'timeout', stream_cut_start: expect.stringMatching(/^(stream_cut|connection)$/) }[kind as string] ??
        kind,
    });
    expect(logged.attempts[1]).toMatchObject({ model: FALLBACK, outcome: 'ok' });
  });

  it('a stream cut after tokens were sent ends the stream with an error, never a silently short answer', async () => {
    inject({ kind: 'stream_cut' });
    await expect(ask(true)).rejects.toThrow();
  });

  it('opens the circuit after repeated failures, skips the primary, then probes and closes it', async () => {
    inject({ kind: 'server', count: 1000 });
    const served = [];
    for (let i = 0; i < 5; i++) served.push(await ask());
    expect(served.every((a) => a.text.length > 0)).toBe(true);
    const circuit = () =>
      fetch(`${h.gateway.url}/metrics`).then(
        async (r) =>
          /flightdeck_gateway_circuit_state\{target="simulator\/gpt-4o-mini-2024-07-18"\} (\d)/.exec(
            await r.text(),
          )?.[1],
      );
    expect(await circuit()).toBe('2');
    const skipped = await row(served[3]!.requestId);
    expect(skipped.attempts[0]).toMatchObject({ model: PRIMARY, outcome: 'skipped_open_circuit' });

    h.sim.engine.faults.clear();
    await sleep(850); // the cool-down
    const probe = await ask();
    expect((await row(probe.requestId)).attempts).toEqual([expect.objectContaining({ model: PRIMARY, outcome: 'ok' })]);
    expect(await circuit()).toBe('0');
  });

  it('does not fall back on a request the provider refuses as invalid', async () => {
    inject({ kind: 'bad_request' });
    await expect(ask()).rejects.toMatchObject({ status: 400 });
  });
});
