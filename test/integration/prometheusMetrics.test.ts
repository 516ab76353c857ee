import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parsePromptFile } from '../../src/registry/promptFile';
import { eventually, startGatewayHarness, type GatewayHarness } from '../harness/gateway';
import { harnessValue } from '../harness/harnessEnv';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
const RULES = path.join(EXAMPLES, 'prometheus', 'flightdeck.rules.yml');
const DASHBOARD = path.join(EXAMPLES, 'grafana', 'flightdeck-gateway.json');

let h: GatewayHarness;
let exposition: string;

beforeAll(async () => {
  h = await startGatewayHarness();
  await h.push(
    parsePromptFile(
      'name: answer\nversion: 1.0.0\nowner: t\nmodel: gpt-4o-mini-2024-07-18\nfallbacks: [gpt-4o-2024-08-06]\ntemplate: { user: hi }\n',
      'answer.yaml',
    ),
  );
  await eventually(() => h.gateway.state.routes.has('answer'));
  const client = h.client(await h.tenant('watched'));
  // One failed provider attempt (served by the fallback), one good call, one call without a key.
  h.sim.engine.faults.inject({ kind: 'server', model: 'gpt-4o-mini-2024-07-18', count: 1 });
  await client.chat.completions.create({ model: 'prompt:answer', messages: [] });
  await client.chat.completions.create({ model: 'prompt:answer', messages: [] });
  expect((await fetch(`${h.gateway.url}/v1/chat/completions`, { method: 'POST', body: '{}' })).status).toBe(401);
  expect((await fetch(`${h.gateway.url}/v1/no-such-endpoint`)).status).toBe(404);
  exposition = await (await fetch(`${h.gateway.url}/metrics`)).text();
});

afterAll(() => h.close());

/** Metric names an expression reads, without histogram suffixes. */
const metricsIn = (text: string) =>
  new Set(
    [...text.matchAll(/\b(flightdeck_[a-z_]+|process_[a-z_]+|nodejs_[a-z0-9_]+)\b/g)].map((m) =>
      m[1]!.replace(/_(bucket|count|sum)$/, ''),
    ),
  );

describe('Prometheus: what an operator expects', () => {
  it('exposes process and Node.js metrics (CPU, memory, event-loop lag, handles)', () => {
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_active_handles_total',
    ]) {
      expect(exposition).toMatch(new RegExp(`^${name}(\\{[^}]*\\})? `, 'm'));
    }
  });

  it('counts failed provider attempts by error class and target, and requests in flight', () => {
    expect(exposition).toMatch(
      /^flightdeck_gateway_provider_attempt_failures_total\{error_class="server",target="simulator\/gpt-4o-mini-2024-07-18"\} 1$/m,
    );
    expect(exposition).toMatch(/^flightdeck_gateway_requests_in_flight 0$/m);
  });

  it("times every response, the 401 and the unknown endpoint's 404 included, and never leaves a label value empty", () => {
    expect(exposition).toMatch(
      /^flightdeck_gateway_requests_total\{status="401",prompt="none",version="none",variant="none",model="none"\} 1$/m,
    );
    expect(exposition).toMatch(
      /^flightdeck_gateway_requests_total\{status="404",prompt="none",version="none",variant="none",model="none"\} 1$/m,
    );
    expect(exposition).toMatch(
      /^flightdeck_gateway_request_duration_seconds_count\{prompt="none",variant="none"\} 2$/m,
    );
    expect(exposition).toMatch(
      /^flightdeck_gateway_request_duration_seconds_count\{prompt="answer",variant="stable"\} 2$/m,
    );
    expect(exposition).not.toMatch(/=""/);
  });

  it("passes promtool's lint for every metric of ours (prom-client's standard nodejs_active_*_total gauges keep their names)", () => {
    const lint = spawnSync(harnessValue('promtool'), ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
    const findings = `${lint.stdout}${lint.stderr}`.trim().split('\n').filter(Boolean);
    expect(
      findings.filter((line) => !/^nodejs_active_(handles|requests|resources)_total non-counter/.test(line)),
    ).toEqual([]);
    expect(exposition).toMatch(/^flightdeck_gateway_requests_total/m);
  });

  it('ships alerting rules promtool accepts and a Grafana dashboard, both reading only metrics the gateway exposes', () => {
    expect(execFileSync(harnessValue('promtool'), ['check', 'rules', RULES], { encoding: 'utf8' })).toMatch(
      /SUCCESS: \d+ rules found/,
    );
    const exposed = metricsIn(
      exposition
        .split('\n')
        .filter((line) => line.startsWith('# TYPE'))
        .join('\n'),
    );
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      panels: Array<{ targets: Array<{ expr: string }> }>;
    };
    const used = new Set([
      ...metricsIn(readFileSync(RULES, 'utf8')),
      ...dashboard.panels.flatMap((panel) => panel.targets.flatMap((target) => [...metricsIn(target.expr)])),
    ]);
    expect([...used].filter((name) => !exposed.has(name))).toEqual([]);
    expect(used.size).toBeGreaterThan(15);
  });
});
