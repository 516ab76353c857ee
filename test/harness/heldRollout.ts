import type { WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { DEFAULT_ROLLOUT_OPTIONS } from '../../src/model/rolloutOptions';
import { parseSteps } from '../../src/model/rolloutSteps';
import { parsePromptFile } from '../../src/registry/promptFile';
import { pushPrompts } from '../../src/registry/registry';
import { rolloutWorkflow } from '../../workflows/rollout';
import { rolloutStatusQuery } from '../../workflows/rolloutMessages';
import type { TestDatabase } from './database';
import { simulatorProviders } from './providers';
import { uniqueTaskQueue, type DevServerHandles } from './temporal';

export interface HeldRollout {
  handle: WorkflowHandleWithFirstExecutionRunId<typeof rolloutWorkflow>;
  stop(): Promise<void>;
}

/**
 * A prompt with two versions and a rollout of the second holding at its first step (5%) for an hour,
 * on a worker of its own: what on-call opens a UI to see.
 */
export async function startHeldRollout(
  temporal: DevServerHandles,
  db: TestDatabase,
  prompt: string,
): Promise<HeldRollout> {
  const version = (v: string) =>
    parsePromptFile(
      `name: ${prompt}\nversion: ${v}\nowner: t\nmodel: gpt-4o-mini-2024-07-18\ntemplate: { user: hi }\n`,
      `${v}.yaml`,
    );
  await pushPrompts(db.pool, [version('1.0.0'), version('1.1.0')], 'test');
  const taskQueue = uniqueTaskQueue('held');
  const worker: Worker = await temporal.worker(db.pool, taskQueue, simulatorProviders(1));
  const running = worker.run();
  const handle = await temporal.client.workflow.start(rolloutWorkflow, {
    taskQueue,
    workflowId: `rollout/${prompt}`,
    args: [
      {
        ...DEFAULT_ROLLOUT_OPTIONS,
        steps: parseSteps('5:1h,50:1h,100'),
        intervalMs: 3_600_000,
        judgeSamples: 0,
        judgeModel: 'gpt-4.1-mini-2025-04-14',
        prompt,
        version: '1.1.0',
        actor: 'test',
      },
    ],
  });
  const deadline = Date.now() + 30_000;
  while ((await handle.query(rolloutStatusQuery)).stage !== 'canary' && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 200));
  return {
    handle,
    stop: async () => {
      await handle.terminate('test over').catch(() => undefined);
      worker.shutdown();
      await running;
    },
  };
}
