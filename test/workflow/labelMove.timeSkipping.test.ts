import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createFlightdeckWorker } from '../../workers/worker';
import { pushPrompts, resolvePrompt } from '../../src/registry/registry';
import { labelMoveWorkflow } from '../../workflows/labelMove';
import { tinyPrompt } from '../fixtures/prompts';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { simulatorProviders } from '../harness/providers';
import { timeSkippingEnvironment, workflowBundle } from '../harness/temporal';

describe('a label move scheduled days ahead (time skipping)', () => {
  let env: TestWorkflowEnvironment;
  let db: TestDatabase;
  beforeAll(async () => {
    env = await timeSkippingEnvironment();
    db = await createTestDatabase();
    await pushPrompts(
      db.pool,
      [tinyPrompt('later', '1.0.0', 'Hi {{who}}'), tinyPrompt('later', '1.0.1', 'Hey {{who}}')],
      'tester',
    );
  });
  afterAll(async () => {
    await env?.teardown();
    await db?.drop();
  });

  it('waits until the given time, then moves production', async () => {
    const worker = await createFlightdeckWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      pool: db.pool,
      providers: simulatorProviders(1),
      taskQueue: 'ts',
      workflowBundle: workflowBundle(),
    });
    await worker.runUntil(async () => {
      const startedAt = await env.currentTimeMs();
      const notBefore = new Date(startedAt + 3 * 24 * 3600 * 1000).toISOString();
      const handle = await env.client.workflow.start(labelMoveWorkflow, {
        taskQueue: 'ts',
        workflowId: 'label/later/production',
        args: [
          {
            name: 'later',
            ref: '1.0.1',
            label: 'production',
            actor: 'release-bot',
            reason: 'Monday release',
            notBefore,
          },
        ],
      });
      await env.sleep('2 days');
      expect((await resolvePrompt(db.pool, 'later')).version).toBe('1.0.0');
      const result = await handle.result();
      expect(result).toMatchObject({ from: '1.0.0', to: '1.0.1', changed: true });
      expect(await env.currentTimeMs()).toBeGreaterThanOrEqual(startedAt + 3 * 24 * 3600 * 1000);
      expect((await resolvePrompt(db.pool, 'later')).version).toBe('1.0.1');
    });
  });
});
