import type { ChildProcess } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { getIncident } from '../../src/incidents/incidentStore';
import { costPolicySchema } from '../../src/model/costPolicy';
import { incidentWorkflowId } from '../../src/model/incident';
import { moveLabel, PRODUCTION } from '../../src/registry/labels';
import { incidentWorkflow } from '../../workflows/incident';
import { resolveIncidentSignal } from '../../workflows/incidentMessages';
import { pushSupportAnswerAs } from '../fixtures/evals';
import { seedTenantSpend } from '../fixtures/tenantSpend';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { harnessValue } from '../harness/harnessEnv';
import { uniqueTaskQueue } from '../harness/temporal';
import { spawnWorkerProcess } from '../harness/workerChild';

/**
 * Issue 14: the worker killed (SIGKILL) right after a playbook step did its work and before
 * Temporal heard of it. The step is retried on the next worker; the incident completes with no
 * side effect repeated: one audit row per change, one timeline row per step.
 */
describe('a worker killed during an incident', () => {
  let db: TestDatabase;
  let connection: Connection;
  let client: Client;
  const workers: ChildProcess[] = [];
  const taskQueue = uniqueTaskQueue('incident-kill');

  beforeAll(async () => {
    db = await createTestDatabase();
    connection = await Connection.connect({ address: harnessValue('temporalAddress') });
    client = new Client({ connection });
  });
  // A test's last worker would take the next test's tasks before its slow worker could.
  afterEach(() => {
    for (const w of workers.splice(0)) w.kill('SIGKILL');
  });
  afterAll(async () => {
    await connection?.close();
    await db?.drop();
  });

  const startWorker = async (slow?: { activity: string; args: string }) => {
    const child = await spawnWorkerProcess({ databaseUrl: db.url, taskQueue, slow });
    workers.push(child);
    return child;
  };
  /** Start a worker that stalls after the matching call, wait for that call's work, and kill the worker. */
  const killAfter = async (activity: string, args: string, before?: () => Promise<unknown>) => {
    const child = await startWorker({ activity, args });
    const done = new Promise<void>((resolve) =>
      child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes(`${activity} done`) && resolve()),
    );
    await before?.();
    await done;
    child.kill('SIGKILL');
  };

  it('cost runaway: killed after the warning, after the throttle and after the restore', async () => {
    await seedTenantSpend(db.pool, 'crashy', 20 / 60);
    const workflowId = incidentWorkflowId('cost-runaway', 'crashy');
    const handle = await client.workflow.start(incidentWorkflow, {
      taskQueue,
      workflowId,
      args: [
        {
          kind: 'cost-runaway',
          key: 'crashy',
          tenant: 'crashy',
          reason: 'spend x20',
          actor: 'monitor',
          policy: costPolicySchema.parse({ window_minutes: 10, approval: [] }),
        },
      ],
    });
    await killAfter('applyCostStep', '"step":"warn"');
    await killAfter('applyCostStep', '"step":"throttle"');
    await killAfter('restoreTenant', 'crashy', () =>
      handle.signal(resolveIncidentSignal, { actor: 'oncall', reason: 'loop fixed' }),
    );
    await startWorker();
    expect(await handle.result()).toMatchObject({ status: 'resolved', resolvedBy: 'oncall' });

    const statuses = await db.pool.query(
      `SELECT to_value FROM audit_log WHERE action = 'tenant.status' AND subject = 'crashy' ORDER BY id`,
    );
    expect(statuses.rows.map((r) => r.to_value)).toEqual(['throttled (2/min)', 'active']);
    const incident = await getIncident(db.pool, workflowId);
    expect(incident.timeline.map((s) => s.step)).toEqual([
      'detect',
      'investigate',
      'warn',
      'throttle',
      'restore',
      'close',
    ]);
    expect(incident.timeline.find((s) => s.step === 'restore')!.message).toMatch(/served normally again/);
  }, 180_000);

  it('quality regression: killed after the rollback', async () => {
    await pushSupportAnswerAs(db.pool, 'crashy-prompt');
    for (const version of ['1.0.0', '1.1.0'])
      await moveLabel(db.pool, {
        name: 'crashy-prompt',
        label: PRODUCTION,
        version,
        actor: 'release',
        reason: 'release',
      });
    const handle = await client.workflow.start(incidentWorkflow, {
      taskQueue,
      workflowId: incidentWorkflowId('quality-regression', 'crashy-prompt'),
      args: [
        {
          kind: 'quality-regression',
          key: 'crashy-prompt',
          prompt: 'crashy-prompt',
          reason: 'judge score down',
          actor: 'monitor',
          verifyMinutes: 1,
        },
      ],
    });
    await killAfter('rollBackProduction', 'crashy-prompt');
    await startWorker();
    expect(await handle.result()).toMatchObject({ status: 'resolved', quality: { verified: true } });
    // Rolled back once: the retried step moved to the same version, not one further back.
    const moves = await db.pool.query(
      `SELECT to_value FROM audit_log WHERE action = 'label.move' AND subject = 'crashy-prompt' ORDER BY id`,
    );
    expect(moves.rows.map((r) => r.to_value)).toEqual(['1.0.0', '1.1.0', '1.0.0']);
    const incident = await getIncident(db.pool, handle.workflowId);
    expect(incident.timeline.map((s) => s.step)).toEqual(['detect', 'investigate', 'mitigate', 'evidence', 'close']);
  }, 180_000);
});
