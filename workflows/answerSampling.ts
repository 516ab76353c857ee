import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { MonitoringActivities } from '../activities/monitoring';

type AnswerSamplingOutcome = Awaited<ReturnType<MonitoringActivities['judgeSampledAnswers']>>;

const { judgeSampledAnswers } = proxyActivities<MonitoringActivities>({
  // Up to max_per_run judge calls one after another.
  startToCloseTimeout: '4 minutes',
  retry: { maximumAttempts: 3, initialInterval: '10 seconds' },
  summary: "judge a sample of production answers within the day's judge budget",
});

/** Every minute (a schedule, overlap skipped): the judge scores a sample of production answers. */
export async function answerSamplingWorkflow(): Promise<AnswerSamplingOutcome> {
  const outcome = await judgeSampledAnswers();
  setCurrentDetails(
    [
      '**Production answers judged**',
      '',
      `- judged: ${outcome.judged} of ${outcome.candidates} sampled (${outcome.cached} from the judge cache), failed: ${outcome.failed}`,
      `- judge spend today: $${outcome.spentTodayUsd.toFixed(4)} of $${outcome.budgetUsd}${outcome.budgetReached ? ' (budget reached: sampling resumes at 00:00 UTC)' : ''}`,
    ].join('\n'),
  );
  return outcome;
}
