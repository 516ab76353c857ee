import { proxyActivities } from '@temporalio/workflow';
import type { DrillActivities } from '../activities/drills';
import type { PromptRollbackDrill } from '../src/model/drill';
import type { DrillRun } from './drillRun';

const { pushDrillPrompt, moveDrillProduction } = proxyActivities<DrillActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5, initialInterval: '1 second' },
});
const { gatewaysServe } = proxyActivities<DrillActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { maximumAttempts: 2 },
});

/**
 * The prompt rollback drill (seed 001): push a synthetic version of the synthetic prompt, promote
 * it, roll it back with the one-step rollback, and check every gateway serves the promoted and then
 * the earlier version within seconds.
 */
export async function promptRollbackDrill(run: DrillRun, input: PromptRollbackDrill): Promise<void> {
  if (!(await run.preflight(input)).go) return;

  await run.step('push');
  const drill = run.workflowId;
  const { base, candidate } = await pushDrillPrompt({ prompt: input.prompt, model: input.model, drill });
  await moveDrillProduction({
    prompt: input.prompt,
    version: base,
    drill,
    reason: 'drill: the version to fall back to',
  });
  const ready = await gatewaysServe({
    tenant: input.tenant,
    prompt: input.prompt,
    version: base,
    withinSeconds: 60,
    drill,
  });
  const settled = (served: Record<string, string>, version: string) =>
    Object.values(served).every((v) => v === version);
  if (!settled(ready.served, base)) {
    run.check({
      name: 'setup',
      passed: false,
      detail: `the gateways serve ${JSON.stringify(ready.served)}, not ${base}`,
    });
    return;
  }

  await run.step('promote');
  await run.stopIfNeeded();
  await moveDrillProduction({ prompt: input.prompt, version: candidate, drill, reason: 'drill: promote' });
  const promoted = await gatewaysServe({
    tenant: input.tenant,
    prompt: input.prompt,
    version: candidate,
    withinSeconds: input.withinSeconds,
    drill,
  });
  run.check({
    name: 'every gateway serves the promoted version',
    passed: settled(promoted.served, candidate),
    seconds: promoted.ms / 1000,
    detail: `${input.prompt}@${candidate}: ${JSON.stringify(promoted.served)}`,
  });

  await run.step('roll back');
  const back = await moveDrillProduction({ prompt: input.prompt, drill, reason: 'drill: roll back one step' });
  const rolled = await gatewaysServe({
    tenant: input.tenant,
    prompt: input.prompt,
    version: base,
    withinSeconds: input.withinSeconds,
    drill,
  });
  run.check({
    name: 'every gateway serves the earlier version again',
    passed: back === base && settled(rolled.served, base),
    seconds: rolled.ms / 1000,
    detail: `rollback moved production to ${back}; ${JSON.stringify(rolled.served)}`,
  });
}
