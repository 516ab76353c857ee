import type { Client } from '@temporalio/client';
import type { PromotionStatus } from '../model/promotionStatus';
import { formatMetric, percent } from '../model/rolloutStatus';
import { statusQuery } from '../../workflows/promotionMessages';
import { rolloutStatusQuery, rolloutWorkflowId } from '../../workflows/rolloutMessages';

/**
 * Follow a promotion to its end, telling each change once: eval stages, then each canary step and
 * the verdicts it was decided on. For the demo (and anyone scripting a release).
 */
export async function followRelease(
  client: Client,
  workflowId: string,
  tell: (line: string) => void,
): Promise<PromotionStatus> {
  const promotion = client.workflow.getHandle(workflowId);
  let told = '';
  /** Tell a line when its key (the state, not the running counts) changes. */
  const once = (key: string, line = key) => {
    if (key !== told) tell(line);
    told = key;
  };
  for (;;) {
    if ((await promotion.describe()).status.name !== 'RUNNING') return promotion.result();
    const status = await promotion.query(statusQuery);
    if (status.stage !== 'rolling-out') {
      once(`${workflowId}: ${status.stage}`);
    } else {
      const rollout = await client.workflow
        .getHandle(rolloutWorkflowId(status.prompt))
        .query(rolloutStatusQuery)
        .catch(() => undefined);
      const last = rollout?.analyses.at(-1);
      if (rollout) {
        const state = `canary ${rollout.version}: ${rollout.stage} at ${percent(rollout.weightBp)}`;
        const failed =
          last?.notable
            .filter((m) => m.verdict === 'fail')
            .map((m) => `; ${formatMetric(m)}`)
            .join('') ?? '';
        once(
          `${state} ${last?.verdict}`,
          `${state}${last ? ` (last analysis ${last.verdict}: ${last.canaryRequests} canary / ${last.baselineRequests} stable requests${failed})` : ''}`,
        );
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
