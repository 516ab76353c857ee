import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { MonitoringActivities } from '../activities/monitoring';

type ConfirmationOutcome = Awaited<ReturnType<MonitoringActivities['judgeConfirmation']>>;
/** What a monitor pass asks to have judged (src/monitoring/confirmationSampling.ts). */
type Confirmation = Awaited<ReturnType<MonitoringActivities['monitorPass']>>['confirmations'][number];

const { judgeConfirmation } = proxyActivities<MonitoringActivities>({
  // A few dozen judge calls, four at a time; late scores still count, for a minute or two.
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 2, initialInterval: '5 seconds' },
  summary: "judge more of the series' recent answers",
});

/**
 * Started by a monitor pass (`judge-confirmation/<alert key>`) when a series' few sampled judge
 * scores dip: more of its recent answers are judged, so the next pass decides the drop.
 */
export async function judgeConfirmationWorkflow(confirmation: Confirmation): Promise<ConfirmationOutcome> {
  const outcome = await judgeConfirmation(confirmation);
  setCurrentDetails(
    [
      `**Confirmation of ${confirmation.key}**`,
      '',
      `- answers served ${confirmation.from} to ${confirmation.until}: ${outcome.candidates} unjudged of ${confirmation.answers} asked for`,
      `- judged: ${outcome.judged} (${outcome.cached} from the judge cache), failed: ${outcome.failed}`,
      `- judge spend today: $${outcome.spentTodayUsd.toFixed(4)} of $${outcome.budgetUsd}${outcome.budgetReached ? ' (budget reached)' : ''}`,
    ].join('\n'),
  );
  return outcome;
}
