import type { ChildProcess } from 'node:child_process';
import { Client, Connection } from '@temporalio/client';
import { getIncident } from '../../src/incidents/incidentStore';
import { costPolicySchema } from '../../src/model/costPolicy';
import { incidentWorkflowId } from '../../src/model/incident';
import { moveLabel, PRODUCTION } from '../../src/registry/labels';
import { incidentWorkflow } from '../../workflows/incident';
import { approveIncidentUpdate, incidentStatusQuery, resolveIncidentSignal } from '../../workflows/incidentMessages';
import { hashApiKey, keyPrefix, newApiKey } from '../../src/tenants/apiKey';
import { createTenant } from '../../src/tenants/tenantStore';
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
    expect(await handle.result()).toMatchObject({
      status: 'resolved',
      quality: { rollback: 'production 1.1.0 -> 1.0.0' },
    });
    // Rolled back once: the retried step moved to the same version, not one further back.
    const moves = await db.pool.query(
      `SELECT to_value FROM audit_log WHERE action = 'label.move' AND subject = 'crashy-prompt' ORDER BY id`,
    );
    expect(moves.rows.map((r) => r.to_value)).toEqual(['1.0.0', '1.1.0', '1.0.0']);
    const incident = await getIncident(db.pool, handle.workflowId);
    expect(incident.timeline.map((s) => s.step)).toEqual(['detect', 'investigate', 'mitigate', 'evidence', 'close']);
  }, 180_000);

  it('provider outage: killed after the override and after the restore', async () => {
    const model = 'gpt-4o-mini-2024-07-18';
    // Workflow ids are global on the shared dev server: other files run incidents for this model too.
    const key = `${model}-${taskQueue}`;
    const handle = await client.workflow.start(incidentWorkflow, {
      taskQueue,
      workflowId: incidentWorkflowId('provider-outage', key),
      args: [
        {
          kind: 'provider-outage',
          key,
          model,
          backup: 'claude-haiku-4-5-20251001',
          reason: 'provider 5xx',
          actor: 'monitor',
          probeEverySeconds: 3600,
        },
      ],
    });
    await killAfter('mitigateProviderOutage', model);
    await killAfter('restoreProviderRoute', model, async () => {
      while ((await handle.query(incidentStatusQuery)).status !== 'mitigated')
        await new Promise((resolve) => setTimeout(resolve, 200));
      await handle.signal(resolveIncidentSignal, { actor: 'oncall', reason: 'provider recovered' });
    });
    await startWorker();
    expect(await handle.result()).toMatchObject({ status: 'resolved', resolvedBy: 'oncall' });
    const changes = await db.pool.query(
      `SELECT from_value, to_value FROM audit_log WHERE action = 'route.override' AND subject = $1 ORDER BY id`,
      [model],
    );
    expect(changes.rows).toEqual([
      { from_value: null, to_value: 'claude-haiku-4-5-20251001' },
      { from_value: 'claude-haiku-4-5-20251001', to_value: null },
    ]);
    const incident = await getIncident(db.pool, handle.workflowId);
    expect(incident.timeline.map((s) => s.step)).toEqual(['detect', 'mitigate', 'investigate', 'restore', 'close']);
  }, 180_000);

  it('security: killed after the kill switch, the purge, the key rotation and the restore', async () => {
    await createTenant(db.pool, { id: 'crashy-sec', tier: 'free', experimentsOptIn: false, actor: 'test' });
    await db.pool.query(
      `INSERT INTO requests (ts, request_id, tenant_id, latency_ms_total, status, guardrail_decision)
       VALUES (now(), 'sec-flagged', 'crashy-sec', 10, 200, 'flag')`,
    );
    await db.pool.query(
      `INSERT INTO request_bodies (request_id, tenant_id, messages, output, expires_at, ts)
       SELECT request_id, tenant_id, '[]', 'leaked', now() + interval '1 day', ts FROM requests WHERE request_id = 'sec-flagged'`,
    );
    const handle = await client.workflow.start(incidentWorkflow, {
      taskQueue,
      workflowId: incidentWorkflowId('security', 'crashy-sec'),
      args: [
        {
          kind: 'security',
          key: 'crashy-sec',
          finding: 'injection',
          tenant: 'crashy-sec',
          rotateKey: true,
          overlapMinutes: 0,
          reason: 'a jailbreak got through',
          actor: 'oncall',
        },
      ],
    });
    await killAfter('switchOff', 'crashy-sec');
    await killAfter('purgeAffectedBodies', '');
    const newKey = newApiKey();
    await killAfter('rotateKey', 'crashy-sec', async () => {
      while ((await handle.query(incidentStatusQuery)).awaiting?.step !== 'rotate-key')
        await new Promise((resolve) => setTimeout(resolve, 200));
      await handle.executeUpdate(approveIncidentUpdate, {
        args: [
          {
            step: 'rotate-key',
            approve: true,
            actor: 'oncall',
            newKeyHash: hashApiKey(newKey),
            newKeyPrefix: keyPrefix(newKey),
          },
        ],
      });
    });
    await killAfter('switchOn', 'crashy-sec', () =>
      handle.signal(resolveIncidentSignal, { actor: 'oncall', reason: 'fixed' }),
    );
    await startWorker();
    expect(await handle.result()).toMatchObject({
      status: 'resolved',
      security: { purged: 1, newKeyPrefix: keyPrefix(newKey) },
    });
    const audits = await db.pool.query(
      `SELECT action, to_value FROM audit_log WHERE subject = 'crashy-sec' AND action <> 'tenant.create' ORDER BY id`,
    );
    expect(audits.rows.map((r) => `${r.action} ${r.to_value}`)).toEqual([
      'tenant.status killed',
      'request.purge 1 bodies',
      `tenant.key.rotate ${keyPrefix(newKey)}`,
      'tenant.status active',
    ]);
    const incident = await getIncident(db.pool, handle.workflowId);
    expect(incident.timeline.map((s) => s.step)).toEqual([
      'detect',
      'kill switch',
      'evidence',
      'purge',
      'approval rotate-key',
      'approved rotate-key',
      'rotate key',
      'restore',
      'close',
    ]);
  }, 240_000);
});
