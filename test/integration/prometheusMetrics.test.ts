import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { parsePromptFile } from '../../src/registry/promptFile';
import { eventually, startGatewayHarness, type GatewayHarness } from '../harness/gateway';
import { runCli } from '../harness/cli';
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

  it('exports the monitor rules Prometheus can evaluate as rules promtool accepts, reading only exposed metrics', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'fd-export-'));
    const rules = path.join(dir, 'flightdeck.monitors.yaml');
    writeFileSync(
      rules,
      [
        'rules:',
        '  - { id: model-spend, metric: cost_usd, by: [model], detector: { kind: spike } }',
        '  - { id: prompt-latency, metric: slow_request_rate, by: [prompt], detector: { kind: burn_rate, threshold_ms: 2500 } }',
        '  - { id: blocks, metric: guardrail_block_rate, detector: { kind: rate_shift } }',
        '  - { id: model-availability, metric: server_error_rate, by: [model], detector: { kind: burn_rate } }',
        '  - { id: tenant-spend, metric: cost_usd, by: [tenant], detector: { kind: spike } }',
        '',
      ].join('\n'),
    );
    const out = path.join(dir, 'alerts.yml');
    const result = await runCli(['monitors', 'export', '--prometheus', '--rules', rules, '--out', out], {});
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Wrote 4 rules .* \(1 skipped/);
    const exported = readFileSync(out, 'utf8');
    expect(exported).toMatch(/# skipped tenant-spend: the gateway's metrics carry no tenant label/);
    expect(execFileSync(harnessValue('promtool'), ['check', 'rules', out], { encoding: 'utf8' })).toMatch(
      // Two burn-rate rules of four tiers each, a spend spike, a block rate.
      /SUCCESS: 10 rules found/,
    );
    const exposed = metricsIn(
      exposition
        .split('\n')
        .filter((line) => line.startsWith('# TYPE'))
        .join('\n'),
    );
    const expressions = (parse(exported) as { groups: Array<{ rules: Array<{ expr: string }> }> }).groups[0]!.rules.map(
      (rule) => rule.expr,
    ).join('\n');
    expect([...metricsIn(expressions)].filter((name) => !exposed.has(name))).toEqual([]);
    expect((await runCli(['monitors', 'export'], {})).code).toBe(2); // the format must be named
  });
});
