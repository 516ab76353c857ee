import type { Pool } from '../src/db/pool';
import { Judge } from '../src/evals/judge';
import type { AlertWebhook } from '../src/monitoring/alertWebhook';
import { judgeSampledAnswers, type JudgingOutcome } from '../src/monitoring/answerSampling';
import { confirmationSchema, judgeConfirmation } from '../src/monitoring/confirmationSampling';
import { loadMonitorsFile } from '../src/monitoring/monitorRules';
import {
  PREFETCH_AHEAD_MS,
  prefetchBaselines,
  runMonitorPass,
  type MonitorPassSummary,
} from '../src/monitoring/monitorPass';
import type { ProviderDirectory } from '../src/providers/directory';
import {
  failedReports,
  reconcileInputSchema,
  reconcileUsage,
  yesterday,
  type ReconciliationResult,
} from '../src/monitoring/usageReconciliation';

/**
 * Monitoring activities: one monitor pass over the rollups, the judge's sampling of production
 * answers and the nightly usage reconciliation, all with the worker's monitors file (read on every
 * run: an edited file applies from the next run, a broken one fails the run visibly).
 */
export function createMonitoringActivities(
  pool: Pool,
  providers: ProviderDirectory,
  rulesFile?: string,
  webhook?: AlertWebhook,
) {
  return {
    async monitorPass(): Promise<MonitorPassSummary> {
      const { rules, playbooks } = loadMonitorsFile(rulesFile);
      const summary = await runMonitorPass(pool, rules, { webhook, playbooks });
      // Off the pass's clock: the baselines the passes of the next minutes will need, read now.
      void prefetchBaselines(pool, rules, new Date(Date.now() + PREFETCH_AHEAD_MS)).catch(() => undefined);
      return summary;
    },
    /** The nightly reconciliation of one UTC day (default yesterday) with the providers' usage reports. */
    async reconcileUsage(input: { day?: string } = {}): Promise<ReconciliationResult> {
      const { day } = reconcileInputSchema.parse(input);
      const result = await reconcileUsage(
        pool,
        providers,
        loadMonitorsFile(rulesFile).reconciliation,
        day ?? yesterday(),
      );
      const failed = failedReports(result);
      if (failed) throw new Error(failed);
      return result;
    },
    async judgeSampledAnswers(): Promise<JudgingOutcome> {
      const sampling = loadMonitorsFile(rulesFile).judge_sampling;
      return judgeSampledAnswers(pool, new Judge(pool, providers, sampling.judge_model), sampling);
    },
    /** More of one series' answers judged now, asked for by a monitor pass that suspects a drop. */
    async judgeConfirmation(input: unknown): Promise<JudgingOutcome> {
      const confirmation = confirmationSchema.parse(input);
      const { rules, judge_sampling: sampling } = loadMonitorsFile(rulesFile);
      const rule = rules.find((r) => r.id === confirmation.ruleId);
      if (!rule)
        throw new Error(`monitor rule ${confirmation.ruleId} is no longer in the monitors file: nothing to confirm`);
      return judgeConfirmation(pool, new Judge(pool, providers, sampling.judge_model), rule, sampling, confirmation);
    },
  };
}

export type MonitoringActivities = ReturnType<typeof createMonitoringActivities>;
