import { Context } from '@temporalio/activity';
import type { Pool } from '../src/db/pool';
import { Judge } from '../src/evals/judge';
import { recordAudit, type AuditEntry } from '../src/audit/auditLog';
import type { ProviderDirectory } from '../src/providers/directory';
import type { AnalysisOutcome } from '../src/model/canaryVerdict';
import { analyseCanary, type AnalysisRequest } from '../src/release/canaryAnalysis';
import {
  applyStepRoute,
  promoteToProduction,
  restoreStable,
  type RestoreRequest,
  type StepRoute,
} from '../src/release/rolloutRouting';
import type { RolloutEvent } from '../src/model/rolloutEvent';
import { postWebhook } from '../src/release/rolloutWebhook';

/** Heartbeat while a long activity runs, so a dead worker's attempt is retried within the heartbeat timeout. */
async function heartbeating<T>(fn: () => Promise<T>): Promise<T> {
  const context = Context.current();
  const timer = setInterval(() => context.heartbeat(), 1000);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

export interface RolloutActivityOptions {
  /** Slack-compatible webhook for rollout events (FLIGHTDECK_WEBHOOK_URL); none: events are only logged. */
  webhookUrl?: string;
}

/** Rollout activities: routing writes, one analysis interval, notifications. Thin wrappers over src/release. */
export function createRolloutActivities(
  pool: Pool,
  providers: ProviderDirectory,
  options: RolloutActivityOptions = {},
) {
  return {
    applyStepRoute: (step: StepRoute) => applyStepRoute(pool, step),
    restoreStable: (request: RestoreRequest) => restoreStable(pool, request),
    promoteToProduction: (request: RestoreRequest & { version: string }) => promoteToProduction(pool, request),
    analyseCanary: (request: AnalysisRequest & { judgeModel: string }): Promise<AnalysisOutcome> =>
      heartbeating(() =>
        analyseCanary(
          pool,
          request.judgeSamples > 0 ? new Judge(pool, providers, request.judgeModel) : undefined,
          request,
        ),
      ),
    async notifyRollout(event: RolloutEvent): Promise<void> {
      if (!options.webhookUrl) return;
      await postWebhook(options.webhookUrl, event);
    },
    recordAudit: (entry: AuditEntry) => recordAudit(pool, entry),
  };
}

export type RolloutActivities = ReturnType<typeof createRolloutActivities>;
