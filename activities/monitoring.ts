import type { Pool } from '../src/db/pool';
import { Judge } from '../src/evals/judge';
import type { AlertWebhook } from '../src/monitoring/alertWebhook';
import { judgeSampledAnswers, type AnswerSamplingOutcome } from '../src/monitoring/answerSampling';
import { loadMonitorsFile } from '../src/monitoring/monitorRules';
import { runMonitorPass, type MonitorPassSummary } from '../src/monitoring/monitorPass';
import type { ProviderDirectory } from '../src/providers/directory';

/**
 * Monitoring activities: one monitor pass over the rollups, and the judge's sampling of production
 * answers, both with the worker's monitors file (read on every run: an edited file applies from the
 * next run, a broken one fails the run visibly).
 */
export function createMonitoringActivities(
  pool: Pool,
  providers: ProviderDirectory,
  rulesFile?: string,
  webhook?: AlertWebhook,
) {
  return {
    async monitorPass(): Promise<MonitorPassSummary> {
      return runMonitorPass(pool, loadMonitorsFile(rulesFile).rules, { webhook });
    },
    async judgeSampledAnswers(): Promise<AnswerSamplingOutcome> {
      const sampling = loadMonitorsFile(rulesFile).judge_sampling;
      return judgeSampledAnswers(pool, new Judge(pool, providers, sampling.judge_model), sampling);
    },
  };
}

export type MonitoringActivities = ReturnType<typeof createMonitoringActivities>;
