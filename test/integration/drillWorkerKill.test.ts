import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startDrill } from '../../src/control/drillControl';
import type { DrillView } from '../../src/model/drill';
import { abortDrillSignal } from '../../workflows/drillMessages';
import { startGatewayHarness, type GatewayHarness } from '../harness/gateway';
import { harnessValue } from '../harness/harnessEnv';
import { uniqueTaskQueue } from '../harness/temporal';
import { spawnWorkerProcess } from '../harness/workerChild';

/**
 * Issue 15: a drill's worker dies (SIGKILL) right after it switched the model off for the drill
 * tenant, and the drill is aborted while no worker is alive (a signal only: the CLI's direct revert
 * is not used). The next worker runs the drill's finally path: the fault is reverted, the report
 * says aborted.
 */
const PRIMARY = 'gpt-4o-mini-2024-07-18';
let h: GatewayHarness;
let connection: Connection;
let client: Client;
const workers: ChildProcess[] = [];
const taskQueue = uniqueTaskQueue('drill-kill');

beforeAll(async () => {
  h = await startGatewayHarness();
  connection = await Connection.connect({ address: harnessValue('temporalAddress') });
  client = new Client({ connection });
});
afterAll(async () => {
  for (const w of workers) w.kill('SIGKILL');
  await connection?.close();
  await h?.close();
});

it('a worker killed after the fault is injected: the next worker reverts it when the drill is aborted', async () => {
  const monitors = path.join(mkdtempSync(path.join(tmpdir(), 'fd-drill-kill-')), 'monitors.yaml');
  writeFileSync(
    monitors,
    [
      'rules:',
      '  - { id: model-availability, metric: server_error_rate, by: [model], detector: { kind: burn_rate, objective: 0.99 }, playbook: provider-outage }',
      'playbooks:',
      `  provider_outage: { backups: { ${PRIMARY}: claude-haiku-4-5-20251001 } }`,
    ].join('\n'),
  );
  const env = { FLIGHTDECK_GATEWAY_URLS: h.gateway.url, FLIGHTDECK_MONITORS_FILE: monitors };
  const spawn = async (slow?: { activity: string }) => {
    const child = await spawnWorkerProcess({ databaseUrl: h.db.url, taskQueue, simulatorPort: h.sim.port, slow, env });
    workers.push(child);
    return child;
  };
  const first = await spawn({ activity: 'injectDrillFault' });
  const injected = new Promise<void>((resolve) =>
    first.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('injectDrillFault done') && resolve()),
  );
  const workflowId = await startDrill(
    client,
    h.db.pool,
    { kind: 'provider-kill', id: 'killed', tenant: 'drill-kill', actor: 'test' } as never,
    { taskQueue },
  );
  await injected;
  first.kill('SIGKILL');
  const faults = async () => Number((await h.db.pool.query('SELECT count(*) FROM drill_faults')).rows[0].count);
  expect(await faults()).toBe(1);

  // No worker is alive: the abort waits in the history for the next one.
  await client.workflow.getHandle(workflowId).signal(abortDrillSignal, { actor: 'oncall', reason: 'worker lost' });
  await spawn();
  const view = (await client.workflow.getHandle(workflowId).result()) as DrillView;
  expect(view).toMatchObject({ status: 'aborted', abortedBy: 'oncall' });
  expect(await faults()).toBe(0);
  // Reverted once: one audit row for the fault on, one for the fault off.
  const audit = await h.db.pool.query("SELECT to_value FROM audit_log WHERE action = 'drill.fault' ORDER BY id");
  expect(audit.rows.map((r) => r.to_value)).toEqual(['off', null]);
  const report = await h.db.pool.query('SELECT status, summary FROM drill_runs WHERE workflow_id = $1', [workflowId]);
  expect(report.rows[0]).toEqual({ status: 'aborted', summary: 'aborted by oncall: worker lost' });
});
