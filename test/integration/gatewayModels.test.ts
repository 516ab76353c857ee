import OpenAI from 'openai';
import { setBudget } from '../../src/budgets/budgetStore';
import { parsePromptFile } from '../../src/registry/promptFile';
import { setTenantStatus } from '../../src/tenants/tenantStore';
import { tinyPrompt } from '../fixtures/prompts';
import { eventually, startGatewayHarness, type GatewayHarness } from '../harness/gateway';

let h: GatewayHarness;

/** A prompt whose production model has no price: nobody with a USD hard limit may call it. */
const unpricedPrompt = parsePromptFile(
  'name: lab\nversion: 1.0.0\nowner: t\nmodel: sim-degraded\nallow_alias: true\ntemplate: { user: hi }\n',
  'lab.yaml',
);

beforeAll(async () => {
  h = await startGatewayHarness({ config: { model_fallbacks: { 'gpt-4o-2024-08-06': ['sim-fast'] } } });
  await h.push(tinyPrompt('greeter', '1.0.0', 'Hello {{who}}'), unpricedPrompt);
  await eventually(() => h.gateway.state.routes.size === 2);
});

afterAll(() => h.close());

const ids = (list: OpenAI.Models.Model[]) => list.map((model) => model.id);

describe('GET /v1/models (what OpenAI-compatible tools call first)', () => {
  it("lists priced and configured models and each prompt with a production version, in OpenAI's shape, through the official client", async () => {
    const client = h.client(await h.tenant('lister'));
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    expect(ids(models)).toEqual(
      expect.arrayContaining([
        'gpt-4o-2024-08-06',
        'gpt-4o-mini-2024-07-18',
        'sim-fast',
        'sim-instant',
        'prompt:greeter',
        'prompt:lab',
      ]),
    );
    expect(models.find((m) => m.id === 'gpt-4o-2024-08-06')).toEqual({
      id: 'gpt-4o-2024-08-06',
      object: 'model',
      created: Date.parse('2024-10-01') / 1000,
      owned_by: 'simulator',
    });
    expect(models.find((m) => m.id === 'prompt:greeter')).toMatchObject({ object: 'model', owned_by: 'flightdeck' });
    expect(new Set(ids(models)).size).toBe(models.length);
  });

  it('retrieves one entry, and answers 404 model_not_found for anything else', async () => {
    const client = h.client(await h.tenant('retriever'));
    expect(await client.models.retrieve('prompt:greeter')).toMatchObject({
      id: 'prompt:greeter',
      owned_by: 'flightdeck',
    });
    await expect(client.models.retrieve('gpt-17-turbo')).rejects.toMatchObject({
      status: 404,
      error: { code: 'model_not_found', param: 'model' },
    });
  });

  it('leaves out unpriced models and prompts for a tenant with a USD hard limit (it could not call them)', async () => {
    const key = await h.tenant('frugal');
    await setBudget(h.db.pool, { tenantId: 'frugal', feature: '', usdDayHard: 5, onHard: 'reject' }, 'test');
    await eventually(() => h.gateway.state.budgeted.has('frugal'));
    const models = [];
    for await (const model of h.client(key).models.list()) models.push(model);
    expect(ids(models)).toEqual(expect.arrayContaining(['gpt-4o-2024-08-06', 'prompt:greeter']));
    expect(ids(models)).not.toContain('sim-fast');
    expect(ids(models)).not.toContain('sim-degraded');
    expect(ids(models)).not.toContain('prompt:lab');
    await expect(h.client(key).models.retrieve('prompt:lab')).rejects.toMatchObject({ status: 404 });
    // The list tells the truth: what it leaves out, the key really cannot call.
    await expect(
      h.client(key).chat.completions.create({ model: 'prompt:lab', messages: [{ role: 'user', content: 'hi' }] }),
    ).rejects.toMatchObject({ status: 400, error: { code: 'unpriced_model' } });
  });

  it('needs a valid, live key like every tenant endpoint', async () => {
    expect((await fetch(`${h.gateway.url}/v1/models`)).status).toBe(401);
    const key = await h.tenant('gone');
    await setTenantStatus(h.db.pool, 'gone', 'killed', 'contract ended', 'test');
    await eventually(
      async () =>
        (await fetch(`${h.gateway.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status === 403,
    );
  });

  it('answers hostile ids with a clear 4xx and keeps serving', async () => {
    const key = await h.tenant('prober');
    const get = async (id: string) => {
      const response = await fetch(`${h.gateway.url}/v1/models/${id}`, { headers: { authorization: `Bearer ${key}` } });
      return { status: response.status, body: (await response.json()) as { error: { code: string } } };
    };
    expect(await get('x'.repeat(10_000))).toMatchObject({ status: 404, body: { error: { code: 'model_not_found' } } });
    expect(await get('prompt%3Agreeter%00')).toMatchObject({
      status: 404,
      body: { error: { code: 'model_not_found' } },
    });
    expect(await get('..%2F..%2Fetc%2Fpasswd')).toMatchObject({ status: 404 });
    expect((await get('%E0%A4%A')).status).toBe(400);
    expect((await get('prompt%3Agreeter')).status).toBe(200);
  });
});
