import { WorkflowFailedError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { pushPrompts, resolvePrompt } from '../../src/registry/registry';
import { labelMoveWorkflow } from '../../workflows/labelMove';
import { FlightdeckPrompt, FlightdeckStage } from '../../src/model/searchAttributes';
import { tinyPrompt } from '../fixtures/prompts';
import { createTestDatabase, type TestDatabase } from '../harness/database';
import { simulatorProviders } from '../harness/providers';
import { connectDevServer, uniqueTaskQueue, type DevServerHandles } from '../harness/temporal';

describe('registry activities through a workflow on the real dev server', () => {
  let db: TestDatabase;
  let temporal: DevServerHandles;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = uniqueTaskQueue('label');

  beforeAll(async () => {
    db = await createTestDatabase();
    await pushPrompts(
      db.pool,
      [tinyPrompt('greeter', '1.0.0', 'Hi {{who}}'), tinyPrompt('greeter', '1.0.1', 'Hello {{who}}')],
      'tester',
    );
    temporal = await connectDevServer();
    worker = await temporal.worker(db.pool, taskQueue, simulatorProviders(1)); // makes no model calls
    running = worker.run();
  });
  afterAll(async () => {
    worker.shutdown();
    await running;
    await temporal.close();
    await db.drop();
  });

  it('moves a label through activities, audited, with search attributes and details for the UI', async () => {
    const workflowId = `label/greeter/staging-${taskQueue}`;
    const result = await temporal.client.workflow.execute(labelMoveWorkflow, {
      taskQueue,
      workflowId,
      args: [{ name: 'greeter', ref: '1.0.1', label: 'staging', actor: 'ci', reason: 'integration test' }],
    });
    expect(result).toEqual({ name: 'greeter', label: 'staging', from: null, to: '1.0.1', changed: true });
    expect((await resolvePrompt(db.pool, 'greeter', 'staging')).version).toBe('1.0.1');
    const audit = await db.pool.query(
      `SELECT actor, reason FROM audit_log WHERE action = 'label.move' AND details->>'label' = 'staging'`,
    );
    expect(audit.rows).toEqual([{ actor: 'ci', reason: 'integration test' }]);

    const description = await temporal.client.workflow.getHandle(workflowId).describe();
    expect(description.typedSearchAttributes.get(FlightdeckPrompt)).toBe('greeter');
    expect(description.typedSearchAttributes.get(FlightdeckStage)).toBe('done');
  });

  it('fails fast, without retries, when the version does not exist', async () => {
    const failure = await temporal.client.workflow
      .execute(labelMoveWorkflow, {
        taskQueue,
        workflowId: `label/greeter/bad-${taskQueue}`,
        args: [{ name: 'greeter', ref: '9.9.9', label: 'staging', actor: 'ci', reason: 'x' }],
      })
      .catch((e) => e);
    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = failure.cause?.cause;
    expect(cause).toMatchObject({ type: 'NotFoundError', nonRetryable: true });
    expect(cause.message).toMatch(/no version "9\.9\.9"/);
  });
});
