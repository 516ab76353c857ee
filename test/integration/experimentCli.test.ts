import { startBackgroundTraffic } from '../../src/cli/backgroundTraffic';
import { parsePromptFile } from '../../src/registry/promptFile';
import { runCli } from '../harness/cli';
import { eventually, startGatewayHarness, type GatewayHarness } from '../harness/gateway';

const version = (v: string, model: string) =>
  parsePromptFile(
    `name: exp-it\nversion: ${v}\nowner: team\nmodel: ${model}\nvariables: { question: { type: string }, context: { type: string } }\ntemplate: { system: "Answer from: {{context}}", user: "{{question}}" }\n`,
    `exp-it-${v}.yaml`,
  );

let h: GatewayHarness;
let env: Record<string, string>;
const cli = (...args: string[]) => runCli(args, env);

beforeAll(async () => {
  h = await startGatewayHarness();
  // B runs on a model a third cheaper per token: the report should find B cheaper, and nothing else.
  await h.push(version('1.0.0', 'gpt-4o-mini-2024-07-18'), version('1.1.0', 'gpt-4.1-nano-2025-04-14'));
  await fetch(`${h.sim.url}/admin/profiles/default`, {
    method: 'PUT',
    body: JSON.stringify({ ttftMs: 5, ttftSpreadMs: 1, perTokenMs: 0, perTokenSpreadMs: 0 }),
  });
  env = { DATABASE_URL: h.db.url, FLIGHTDECK_ACTOR: 'analyst' };
});
afterAll(() => h?.close());

it('holds a split, reports per metric with an always-valid interval, and stops; bad input is refused', async () => {
  expect((await cli('experiment', 'start', 'exp-it', '1.1.0', '1.0.0')).stderr).toMatch(
    /Version A must be what production serves \(exp-it@1\.0\.0\)/,
  );
  expect((await cli('experiment', 'start', 'exp-it', '1.0.0', '1.1.0', '--split', '100')).code).toBe(2);
  expect((await cli('experiment', 'report', 'exp-it')).stderr).toMatch(/has no experiment/);

  const started = await cli('experiment', 'start', 'exp-it', '1.0.0', '1.1.0', '--split', '50', '--json');
  expect(started.code).toBe(0);
  expect(JSON.parse(started.stdout)).toMatchObject({
    created: true,
    experiment: { versionA: '1.0.0', versionB: '1.1.0', splitBp: 5000 },
  });
  expect(
    JSON.parse((await cli('experiment', 'start', 'exp-it', '1.0.0', '1.1.0', '--split', '50', '--json')).stdout)
      .created,
  ).toBe(false);
  expect((await cli('experiment', 'start', 'exp-it', '1.0.0', '1.1.0', '--split', '20')).stderr).toMatch(
    /already runs an experiment/,
  );
  await eventually(() => h.gateway.state.routes.get('exp-it')?.candidate?.weightBp === 5000);

  expect((await cli('promote', 'exp-it@1.1.0', '--skip-eval', '--reason', 'x')).stderr).toMatch(
    /runs an A\/B experiment .* `flightdeck experiment stop exp-it` first/,
  );

  const traffic = startBackgroundTraffic(h.gateway.url, await h.tenant('app'), 'exp-it', 8);
  await eventually(
    async () =>
      (await h.db.pool.query(`SELECT count(*)::int AS n FROM requests WHERE prompt_name = 'exp-it'`)).rows[0].n >= 600,
    30_000,
  );
  await traffic.stop();
  await h.gateway.log.flush();

  const report = JSON.parse((await cli('experiment', 'report', 'exp-it', '--json')).stdout) as {
    lines: Array<{
      metric: string;
      a: { n: number };
      b: { n: number };
      verdict: string;
      interval: [number, number] | null;
      moreSamplesNeeded: number | null;
    }>;
  };
  const line = (metric: string) => report.lines.find((l) => l.metric === metric)!;
  // Sticky 50/50 bucketing over distinct users: both arms well filled.
  expect(line('error_rate').a.n).toBeGreaterThan(200);
  expect(line('error_rate').b.n).toBeGreaterThan(200);
  expect(line('cost_per_request').verdict).toBe('B better');
  expect(line('cost_per_request').interval![1]).toBeLessThan(0);
  expect(line('error_rate').verdict).not.toMatch(/B worse|B better/);
  // No judge samples yet: too early, with how many more are needed.
  expect(line('judge_score')).toMatchObject({ verdict: 'too early', moreSamplesNeeded: 20 });
  const text = await cli('experiment', 'report', 'exp-it');
  expect(text.stdout).toMatch(/cost_per_request .* B better/);
  expect(text.stdout).toMatch(/stay valid however often you look/);

  const stopped = JSON.parse((await cli('experiment', 'stop', 'exp-it', '--json')).stdout);
  expect(stopped).toMatchObject({ stopped: true, experiment: { stoppedAt: expect.any(String) } });
  expect(JSON.parse((await cli('experiment', 'stop', 'exp-it', '--json')).stdout).stopped).toBe(false);
  await eventually(() => h.gateway.state.routes.get('exp-it')?.candidate === undefined);
}, 90_000);
