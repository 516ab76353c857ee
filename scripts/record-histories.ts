/**
 * Record workflow histories for the replay tests (test/histories/*.json).
 * Run after changing a workflow on purpose, review the diff, and commit the new files:
 *   npx tsx scripts/record-histories.ts
 * Uses DATABASE_URL (a scratch database is created and dropped on it) or the embedded Postgres,
 * a throwaway Temporal dev server, and an in-process simulator.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { NativeConnection } from '@temporalio/worker';
import { loadEnv } from '../src/config/env';
import { scratchDatabaseFor } from '../src/db/scratchDatabase';
import { migrate } from '../src/db/migrate';
import { defaultProviderConfig } from '../src/providers/config';
import { ProviderDirectory } from '../src/providers/directory';
import { createPool } from '../src/db/pool';
import { pushPrompts } from '../src/registry/registry';
import { findTemporalTool } from '../src/temporal/binaries';
import { hashApiKey, keyPrefix, newApiKey } from '../src/tenants/apiKey';
import { createTenant } from '../src/tenants/tenantStore';
import { startDevServer } from '../src/temporal/devServer';
import { tinyPrompt } from '../test/fixtures/prompts';
import { labelMoveWorkflow, type LabelMoveInput } from '../workflows/labelMove';
import { promotionWorkflow, type PromotionInput } from '../workflows/promotion';
import { rolloutWorkflow } from '../workflows/rollout';
import {
  pauseSignal,
  skipStepUpdate,
  resumeSignal,
  rollbackSignal,
  rolloutStatusQuery,
} from '../workflows/rolloutMessages';
import { DEFAULT_ROLLOUT_OPTIONS, type RolloutOptions } from '../src/model/rolloutOptions';
import { parseSteps } from '../src/model/rolloutSteps';
import { scheduledEvalWorkflow } from '../workflows/scheduledEval';
import { DEFAULT_JUDGE_MODEL } from '../src/model/evalDefaults';
import { storeDataset } from '../src/evals/runStore';
import { startSimulator } from '../src/simulator/server';
import { exampleDataset, fastSimulator, pushSupportAnswer } from '../test/fixtures/evals';
import { bundleWorkflows } from '../workers/bundle';
import { installWorkerRuntime } from '../workers/runtime';
import { createFlightdeckWorker } from '../workers/worker';
import { answerSamplingWorkflow } from '../workflows/answerSampling';
import { monitorPassWorkflow } from '../workflows/monitorPass';
import { usageReconciliationWorkflow } from '../workflows/usageReconciliation';
import { incidentWorkflow } from '../workflows/incident';
import type { IncidentInput } from '../src/model/incident';
import {
  ackIncidentSignal,
  approveIncidentUpdate,
  escalateIncidentSignal,
  incidentStatusQuery,
  resolveIncidentSignal,
} from '../workflows/incidentMessages';
import { costPolicySchema } from '../src/model/costPolicy';
import { seedTenantSpend } from '../test/fixtures/tenantSpend';

const OUT = path.join(__dirname, '..', 'test', 'histories');

async function main(): Promise<void> {
  installWorkerRuntime('WARN');
  const env = loadEnv();
  const scratch = await scratchDatabaseFor(env, 'fd_record');
  const pool = createPool(scratch.url);
  const server = await startDevServer(findTemporalTool('cli', env), { port: 7299 });
  try {
    await migrate(pool);
    await pushPrompts(
      pool,
      [tinyPrompt('replay-fixture', '1.0.0', 'Hi {{who}}'), tinyPrompt('replay-fixture', '1.1.0', 'Hello {{who}}')],
      'recorder',
    );
    const simulator = await startSimulator({ port: 0 });
    await fastSimulator(simulator);
    await pushSupportAnswer(pool);
    const dataset = exampleDataset();
    await storeDataset(pool, dataset);
    const workerConnection = await NativeConnection.connect({ address: server.address });
    const providers = new ProviderDirectory(
      defaultProviderConfig({ ...env, FLIGHTDECK_SIMULATOR_PORT: simulator.port }),
      env,
    );
    const worker = await createFlightdeckWorker({
      connection: workerConnection,
      namespace: 'default',
      pool,
      providers,
      taskQueue: 'record',
      workflowBundle: await bundleWorkflows(),
    });
    const connection = await Connection.connect({ address: server.address });
    const client = new Client({ connection });
    // The file name is the workflow id ('/' as '~'): replay needs the id the history was made with.
    const save = async (workflowId: string) => {
      const file = `${workflowId.replaceAll('/', '~')}.json`;
      writeFileSync(
        path.join(OUT, file),
        `${historyToJSON(await client.workflow.getHandle(workflowId).fetchHistory())}\n`,
      );
      console.log(`recorded ${file}`);
    };
    const rollout = (steps: string): RolloutOptions => ({
      ...DEFAULT_ROLLOUT_OPTIONS,
      steps: parseSteps(steps),
      intervalMs: 1000,
      judgeSamples: 0,
      judgeModel: DEFAULT_JUDGE_MODEL,
    });
    const promotion = (version: string): PromotionInput => ({
      prompt: 'support-answer',
      version,
      datasetHash: dataset.hash,
      actor: 'recorder',
      judgeModel: DEFAULT_JUDGE_MODEL,
      repeat: 1,
      concurrency: 4,
      chunkSize: 5,
      rollout: rollout('100'),
    });
    mkdirSync(OUT, { recursive: true });
    await worker.runUntil(async () => {
      const labelMoves: Array<[string, LabelMoveInput]> = [
        [
          'labelMove-immediate',
          { name: 'replay-fixture', ref: '1.1.0', label: 'staging', actor: 'recorder', reason: 'record' },
        ],
        [
          'labelMove-scheduled',
          {
            name: 'replay-fixture',
            ref: '1.1.0',
            label: 'production',
            actor: 'recorder',
            reason: 'record',
            notBefore: new Date(Date.now() + 1500).toISOString(),
          },
        ],
      ];
      for (const [file, input] of labelMoves) {
        await client.workflow.execute(labelMoveWorkflow, {
          taskQueue: 'record',
          workflowId: `record/${file}`,
          args: [input],
        });
        await save(`record/${file}`);
      }
      await client.workflow.execute(promotionWorkflow, {
        taskQueue: 'record',
        workflowId: 'record/promotion-released',
        args: [promotion('1.1.0')],
      });
      await save('record/promotion-released');
      await save('record/promotion-released/eval-baseline');
      await save('rollout/support-answer');
      // A rollout that people steer: pause, resume, promote a step, then roll back (every handler on record).
      const steered = await client.workflow.start(rolloutWorkflow, {
        taskQueue: 'record',
        workflowId: 'rollout/replay-fixture',
        args: [{ ...rollout('1:1h,5:1h,100'), prompt: 'replay-fixture', version: '1.1.0', actor: 'recorder' }],
      });
      const reach = async (test: (stage: string, step: number) => boolean) => {
        for (;;) {
          const status = await steered.query(rolloutStatusQuery).catch(() => undefined);
          if (status && test(status.stage, status.stepIndex)) return;
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      await reach((stage) => stage === 'canary');
      await new Promise((r) => setTimeout(r, 2500)); // a couple of (inconclusive) analyses
      await steered.signal(pauseSignal, { actor: 'recorder' });
      await reach((stage) => stage === 'paused');
      await steered.signal(resumeSignal, { actor: 'recorder' });
      await steered.executeUpdate(skipStepUpdate, { args: [{ actor: 'recorder', reason: 'record' }] });
      await reach((stage, step) => stage === 'canary' && step === 1);
      await steered.signal(rollbackSignal, { actor: 'recorder', reason: 'record' });
      await steered.result();
      await save('rollout/replay-fixture');
      await client.workflow.execute(promotionWorkflow, {
        taskQueue: 'record',
        workflowId: 'record/promotion-gate-failed',
        args: [promotion('1.2.0')],
      });
      await save('record/promotion-gate-failed');
      await client.workflow.execute(scheduledEvalWorkflow, {
        taskQueue: 'record',
        workflowId: 'record/scheduled-eval',
      });
      await save('record/scheduled-eval');
      await client.workflow.execute(monitorPassWorkflow, { taskQueue: 'record', workflowId: 'record/monitor-pass' });
      await save('record/monitor-pass');
      await client.workflow.execute(answerSamplingWorkflow, {
        taskQueue: 'record',
        workflowId: 'record/answer-sampling',
      });
      await save('record/answer-sampling');
      // A day with no traffic: nothing to reconcile, the workflow's shape all the same.
      await client.workflow.execute(usageReconciliationWorkflow, {
        taskQueue: 'record',
        workflowId: 'record/usage-reconciliation',
        args: [{ day: '2026-01-01' }],
      });
      await save('record/usage-reconciliation');
      // Incidents: a cost runaway with every on-call message (ack, escalate, a refused approval, resolve),
      // and a provider outage that heals by itself.
      await seedTenantSpend(pool, 'record-tenant', 20 / 60);
      const cost = await client.workflow.start(incidentWorkflow, {
        taskQueue: 'record',
        workflowId: 'incident/cost-runaway/record-tenant',
        args: [
          {
            kind: 'cost-runaway',
            key: 'record-tenant',
            tenant: 'record-tenant',
            reason: 'record',
            actor: 'recorder',
            policy: costPolicySchema.parse({ max_step: 'kill', window_minutes: 10, approval: ['throttle'] }),
          },
        ],
      });
      for (let tries = 0; !(await cost.query(incidentStatusQuery)).awaiting; tries++) {
        if (tries > 300) throw new Error(`the cost incident never waited: ${JSON.stringify(await cost.describe())}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await cost.signal(ackIncidentSignal, { actor: 'recorder' });
      await cost.signal(escalateIncidentSignal, { actor: 'recorder', reason: 'record' });
      await cost.executeUpdate(approveIncidentUpdate, {
        args: [{ step: 'throttle', approve: false, actor: 'recorder' }],
      });
      await cost.signal(resolveIncidentSignal, { actor: 'recorder', reason: 'record' });
      await cost.result();
      await save('incident/cost-runaway/record-tenant');
      await client.workflow.execute(incidentWorkflow, {
        taskQueue: 'record',
        workflowId: 'incident/provider-outage/sim-small-2026-01-01',
        args: [healingOutage('sim-small-2026-01-01')],
      });
      await save('incident/provider-outage/sim-small-2026-01-01');
      // The same outage with its investigation step (the 'outage-investigation' patch); the file above
      // is kept as recorded before it.
      await client.workflow.execute(incidentWorkflow, {
        taskQueue: 'record',
        workflowId: 'incident/provider-outage/record-investigated',
        args: [healingOutage('record-investigated')],
      });
      await save('incident/provider-outage/record-investigated');
      // A leaked key: evidence, the rotation a person approves (only the new key's hash), resolve.
      await createTenant(pool, { id: 'record-leaky', tier: 'free', experimentsOptIn: false, actor: 'recorder' });
      const leaked = await client.workflow.start(incidentWorkflow, {
        taskQueue: 'record',
        workflowId: 'incident/security/record-leaky',
        args: [
          {
            kind: 'security',
            key: 'record-leaky',
            finding: 'leaked-key',
            tenant: 'record-leaky',
            reason: 'record',
            actor: 'recorder',
          },
        ],
      });
      for (let tries = 0; (await leaked.query(incidentStatusQuery)).awaiting?.step !== 'rotate-key'; tries++) {
        if (tries > 300) throw new Error('the security incident never waited for the rotation');
        await new Promise((r) => setTimeout(r, 100));
      }
      const newKey = newApiKey();
      await leaked.executeUpdate(approveIncidentUpdate, {
        args: [
          {
            step: 'rotate-key',
            approve: true,
            actor: 'recorder',
            newKeyHash: hashApiKey(newKey),
            newKeyPrefix: keyPrefix(newKey),
          },
        ],
      });
      for (let tries = 0; !(await leaked.query(incidentStatusQuery)).security?.newKeyPrefix; tries++) {
        if (tries > 300) throw new Error('the security incident never rotated the key');
        await new Promise((r) => setTimeout(r, 100));
      }
      await leaked.signal(resolveIncidentSignal, { actor: 'recorder', reason: 'record' });
      await leaked.result();
      await save('incident/security/record-leaky');
    });
    await simulator.close();
    await connection.close();
    await workerConnection.close();
  } finally {
    await pool.end();
    await scratch.drop();
    await server.stop();
  }
}

/** A provider outage of the simulator's small model that heals at its first probe. */
function healingOutage(key: string): IncidentInput {
  return {
    kind: 'provider-outage',
    key,
    model: 'sim-small-2026-01-01',
    backup: 'sim-large-2026-01-01',
    reason: 'record',
    actor: 'recorder',
    probeEverySeconds: 5,
    healthyProbes: 1,
  };
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
