import { Judge } from '../../src/evals/judge';
import { replayRequest } from '../../src/incidents/replay';
import { DEFAULT_JUDGE_MODEL } from '../../src/model/evalDefaults';
import { moveLabel, PRODUCTION } from '../../src/registry/labels';
import { parsePromptFile } from '../../src/registry/promptFile';
import { eventually, startGatewayHarness, type GatewayHarness } from '../harness/gateway';
import { simulatorProviders } from '../harness/providers';
import { runCli } from '../harness/cli';

/**
 * Issue 14: `flightdeck replay` reproduces a request the gateway served and logged, from its stored
 * tuple (the model, the rendered messages), on the real simulator, and judges both answers.
 */
let h: GatewayHarness;
let key: string;

const version = (v: string, model: string) =>
  parsePromptFile(
    `
name: answerer
version: ${v}
owner: team
model: ${model}
variables: { q: { type: string } }
template: { system: "Answer from the help centre.", user: "{{q}}" }
`,
    `answerer-${v}.yaml`,
  );

beforeAll(async () => {
  h = await startGatewayHarness();
  await h.push(version('1.0.0', 'sim-degraded-2026-01-01'), version('1.1.0', 'sim-large-2026-01-01'));
  await moveLabel(h.db.pool, { name: 'answerer', label: PRODUCTION, version: '1.0.0', actor: 't', reason: 'ship' });
  key = await h.tenant('acme');
});
afterAll(() => h?.close());

/** A request through the gateway with the official client; its id once its row and body are stored. */
async function served(): Promise<string> {
  const { response } = await h
    .client(key)
    .chat.completions.create({
      model: 'prompt:answerer',
      messages: [],
      // @ts-expect-error Flightdeck's extension: the prompt's variables
      variables: { q: 'How long do refunds take?' },
    })
    .withResponse();
  const id = response.headers.get('x-flightdeck-request-id')!;
  await eventually(
    async () => (await h.db.pool.query('SELECT 1 FROM request_bodies WHERE request_id = $1', [id])).rowCount === 1,
    10_000,
  );
  return id;
}

it('replays a logged request on its own model and on another version, judging both answers', async () => {
  const id = await served();
  const providers = simulatorProviders(h.sim.port);
  const judge = new Judge(h.db.pool, providers, DEFAULT_JUDGE_MODEL);
  const same = await replayRequest(h.db.pool, providers, id, { judge });
  expect(same).toMatchObject({ requestId: id, tenant: 'acme', prompt: 'answerer', version: '1.0.0' });
  expect(same.original.model).toBe('sim-degraded-2026-01-01');
  expect(same.replayed.model).toBe('sim-degraded-2026-01-01');
  expect(same.replayed.output.length).toBeGreaterThan(0);
  expect(typeof same.original.score).toBe('number');
  expect(typeof same.replayed.score).toBe('number');
  expect(same.reproduced).toBe(same.original.score! < 0.5 && same.replayed.score! < 0.5);

  const against = await replayRequest(h.db.pool, providers, id, { against: '1.1.0' });
  expect(against.replayed.model).toBe('sim-large-2026-01-01');
  expect(against.reproduced).toBeUndefined();
  const model = await replayRequest(h.db.pool, providers, id, { against: 'gpt-4o-mini-2024-07-18' });
  expect(model.replayed.model).toBe('gpt-4o-mini-2024-07-18');
});

it('the CLI prints both answers; an unknown request, a bodiless one or a bad --against exits 2', async () => {
  const id = await served();
  const env = { DATABASE_URL: h.db.url, FLIGHTDECK_SIMULATOR_PORT: String(h.sim.port) };
  const replayed = await runCli(['replay', id, '--no-judge'], env);
  expect([replayed.code, replayed.stderr]).toEqual([0, '']);
  expect(replayed.stdout).toMatch(/then, sim-degraded-2026-01-01:[\s\S]*now, sim-degraded-2026-01-01, \d+ ms:/);

  const missing = await runCli(['replay', 'req_nope'], env);
  expect([missing.code, missing.stderr]).toEqual([2, expect.stringMatching(/No request req_nope in the log/)]);
  await h.db.pool.query('DELETE FROM request_bodies WHERE request_id = $1', [id]);
  const bodiless = await runCli(['replay', id], env);
  expect([bodiless.code, bodiless.stderr]).toEqual([2, expect.stringMatching(/has no stored body/)]);
  const other = await served();
  const hostile = await runCli(['replay', other, '--against', 'gpt 4o; DROP TABLE requests'], env);
  expect([hostile.code, hostile.stderr]).toEqual([
    2,
    expect.stringMatching(/--against "gpt 4o; DROP TABLE requests" is neither a version of answerer nor a model id/),
  ]);
});
