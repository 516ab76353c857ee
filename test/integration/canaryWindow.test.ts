import { judgeWindow } from '../../src/analysis/canaryJudge';
import { parsePromptFile } from '../../src/registry/promptFile';
import { readCanaryWindow } from '../../src/release/canaryWindow';
import { setRoute } from '../../src/routing/routeStore';
import { tinyPrompt } from '../fixtures/prompts';
import { eventually, startGatewayHarness, type GatewayHarness } from '../harness/gateway';

let h: GatewayHarness;
afterAll(() => h.close());

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

it('reads what the candidate and the stable version did in one window from the request log and feedback', async () => {
  h = await startGatewayHarness();
  // The candidate runs on the degraded simulator model: slower, some errors, some refusals.
  const degraded = parsePromptFile(
    'name: greet\nversion: 1.1.0\nowner: team\nmodel: sim-degraded-2026-01-01\nvariables: { who: { type: string } }\ntemplate: { user: "Say hello to {{who}}" }\n',
    'greet-1.1.0.yaml',
  );
  await h.push(tinyPrompt('greet', '1.0.0', 'Say hello to {{who}}'), degraded);
  const key = await h.tenant('acme');
  await setRoute(h.db.pool, { prompt: 'greet', candidateVersion: '1.1.0', weightBp: 5000, actor: 'test' });
  await eventually(() => h.gateway.state.routes.get('greet')?.candidate?.weightBp === 5000);

  const from = new Date();
  const sent = 60;
  const results = await Promise.all(
    Array.from({ length: sent }, (_, i) =>
      h
        .client(key)
        .chat.completions.create({
          model: 'prompt:greet',
          messages: [],
          variables: { who: `user ${i}` },
          user: `user-${i}`,
        } as never)
        .withResponse()
        .then(({ response }) => ({
          id: response.headers.get('x-flightdeck-request-id')!,
          version: response.headers.get('x-flightdeck-prompt-version'),
        }))
        .catch(() => undefined),
    ),
  );
  const rated = results.find((r) => r?.version === '1.1.0')!;
  await fetch(`${h.gateway.url}/v1/feedback`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    body: JSON.stringify({ request_id: rated.id, score: -1 }),
  });

  const windows = await eventually(async () => {
    const read = await readCanaryWindow(h.db.pool, {
      prompt: 'greet',
      candidateVersion: '1.1.0',
      from,
      to: new Date(Date.now() + 1000),
    });
    return read.candidate.requests + read.stable.requests === sent && read.candidate.negativeFeedback === 1
      ? read
      : undefined;
  });
  expect(windows.candidate.requests).toBeGreaterThan(10);
  expect(windows.stable.requests).toBeGreaterThan(10);
  expect(windows.stable.errors).toBe(0);
  expect(windows.candidate.latenciesMs.length).toBe(windows.candidate.requests - windows.candidate.errors);
  expect(median(windows.candidate.ttftsMs)).toBeGreaterThan(median(windows.stable.ttftsMs));
  expect(windows).toMatchObject({ candidate: { feedback: 1, negativeFeedback: 1 }, stable: { feedback: 0 } });

  // And the judge sees the slower candidate, with too few samples elsewhere to call the window a pass.
  const verdict = judgeWindow(windows.candidate, windows.stable, [
    { metric: 'latency_p50', tolerance: 0.2, minSamples: 10 },
    { metric: 'error_rate', tolerance: 0.01, minSamples: 1000 },
  ]);
  expect(verdict.metrics.map((m) => [m.metric, m.verdict])).toEqual([
    ['latency_p50', 'fail'],
    ['error_rate', expect.stringMatching(/inconclusive|fail/)],
  ]);
});
