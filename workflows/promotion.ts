import {
  executeChild,
  getExternalWorkflowHandle,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { EvalActivities } from '../activities/evals';
import type { RegistryActivities } from '../activities/registry';
import type { RolloutActivities } from '../activities/rollout';
import { promotionDetails, type PromotionStage, type PromotionStatus } from '../src/model/promotionStatus';
import type { RolloutOptions } from '../src/model/rolloutOptions';
import { describeSteps, type RolloutStatus } from '../src/model/rolloutStatus';
import { evalWorkflow, type EvalWorkflowInput } from './evalRun';
import type { Attribution } from '../src/model/attribution';
import { cancelSignal, statusQuery } from './promotionMessages';
import { rolloutWorkflow } from './rollout';
import { rolloutWorkflowId, supersedeSignal } from './rolloutMessages';
import { FlightdeckPrompt, FlightdeckStage } from '../src/model/searchAttributes';

export interface PromotionInput {
  prompt: string;
  version: string;
  /** The gate's dataset; absent with `skipEval` (an emergency fix goes straight to the canary). */
  datasetHash?: string;
  skipEval?: boolean;
  actor: string;
  reason?: string;
  judgeModel: string;
  repeat: number;
  concurrency: number;
  chunkSize: number;
  rollout: RolloutOptions;
}

const options: ActivityOptions = { startToCloseTimeout: '1 minute', retry: { maximumAttempts: 10 } };
const registry = proxyActivities<RegistryActivities>(options);
const evals = proxyActivities<EvalActivities>(options);
const audit = proxyActivities<RolloutActivities>(options);

/**
 * Eval-gated promotion: evaluate production (the baseline) and the candidate on the same cases; a
 * failed gate rejects the version; a passed one moves `staging` and releases the candidate through
 * the canary (`rollout/<prompt>`), which moves production or rolls back.
 */
export async function promotionWorkflow(input: PromotionInput): Promise<PromotionStatus> {
  const info = workflowInfo();
  const status: PromotionStatus = {
    workflowId: info.workflowId,
    prompt: input.prompt,
    version: input.version,
    datasetHash: input.datasetHash,
    skipEval: input.skipEval,
    stage: input.skipEval ? 'rolling-out' : 'evaluating-baseline',
    history: [],
  };
  let cancelled: Attribution | undefined;
  setHandler(statusQuery, () => status);
  setHandler(cancelSignal, (by) => {
    cancelled ??= by;
  });

  const enter = (stage: PromotionStage, note?: string) => {
    status.stage = stage;
    status.history.push({ stage, at: new Date().toISOString(), note });
    upsertSearchAttributes([
      { key: FlightdeckPrompt, value: input.prompt },
      { key: FlightdeckStage, value: stage },
    ]);
    setCurrentDetails(promotionDetails(status));
  };

  const production = await registry.resolvePromptVersion.executeWithOptions(
    { ...options, summary: `resolve ${input.prompt} production` },
    [input.prompt, 'production'],
  );
  status.baselineVersion = production.version;

  if (input.skipEval) {
    await audit.recordAudit.executeWithOptions({ ...options, summary: 'audit: eval skipped' }, [
      {
        actor: input.actor,
        action: 'promotion.skip-eval',
        subject: input.prompt,
        reason: input.reason ?? 'emergency fix',
        details: { version: input.version, workflowId: info.workflowId },
      },
    ]);
  } else {
    const evalInput = (ref: string, role: string, baselineRunId?: string): EvalWorkflowInput => ({
      prompt: input.prompt,
      ref,
      datasetHash: input.datasetHash!,
      runId: `${info.workflowId}@${info.runId}/${role}`,
      repeat: input.repeat,
      judgeModel: input.judgeModel,
      chunkSize: input.chunkSize,
      concurrency: input.concurrency,
      baselineRunId,
    });

    enter('evaluating-baseline', `production is ${production.version}`);
    const baseline = await executeChild(evalWorkflow, {
      workflowId: `${info.workflowId}/eval-baseline`,
      args: [evalInput(production.version, 'baseline')],
    });
    status.baselineRunId = baseline.runId;

    enter('evaluating');
    const candidate = await executeChild(evalWorkflow, {
      workflowId: `${info.workflowId}/eval-candidate`,
      args: [evalInput(input.version, 'candidate', baseline.runId)],
    });
    status.candidateRunId = candidate.runId;
    status.passRate = candidate.passRate;
    status.gate = { passed: candidate.passed, checks: candidate.checks };

    if (!candidate.passed) {
      await evals.rejectPromptVersion.executeWithOptions({ ...options, summary: 'reject: the eval gate failed' }, [
        {
          prompt: input.prompt,
          version: input.version,
          reason: 'eval gate failed',
          actor: 'promotion-workflow',
          report: candidate.report,
        },
      ]);
      status.reason = 'eval gate failed';
      enter('rejected', 'eval gate failed');
      return status;
    }
    if (cancelled) {
      status.decidedBy = cancelled.actor;
      status.reason = cancelled.reason;
      enter('cancelled', `cancelled by ${cancelled.actor}`);
      return status;
    }
    await registry.moveLabel.executeWithOptions({ ...options, summary: `staging → ${input.version}` }, [
      {
        name: input.prompt,
        label: 'staging',
        version: input.version,
        actor: input.actor,
        reason: `eval gate passed (run ${candidate.runId})`,
      },
    ]);
  }

  enter('rolling-out', input.skipEval ? 'eval skipped (emergency fix)' : 'eval gate passed');
  const rollout = await releaseThroughCanary(input);
  status.rollout = rollout;
  status.reason = rollout.decisions.at(-1)?.reason;
  status.decidedBy = rollout.decisions.at(-1)?.by;
  enter(
    rollout.stage === 'completed' ? 'promoted' : rollout.stage === 'superseded' ? 'superseded' : 'rolled-back',
    status.reason,
  );
  return status;
}

/**
 * Run the canary as a child with the prompt's one rollout id. A live rollout of an older candidate
 * is told to step aside first (traffic back to stable); its id frees once it has done so.
 */
async function releaseThroughCanary(input: PromotionInput): Promise<RolloutStatus> {
  const workflowId = rolloutWorkflowId(input.prompt);
  await getExternalWorkflowHandle(workflowId)
    .signal(supersedeSignal, { actor: input.actor, reason: `superseded by ${input.version}`, version: input.version })
    .catch(() => undefined); // no live rollout: nothing to supersede
  for (let attempt = 0; ; attempt++) {
    try {
      return await executeChild(rolloutWorkflow, {
        workflowId,
        args: [
          { ...input.rollout, prompt: input.prompt, version: input.version, actor: input.actor, reason: input.reason },
        ],
        staticSummary: `Canary of ${input.prompt}@${input.version}`,
        staticDetails: `Steps: ${describeSteps(input.rollout.steps)}. Signals: pause, resume, approve, rollback; updates: promote, promoteFull; query: status.`,
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError) || attempt >= 60) throw error;
      await sleep('1 second');
    }
  }
}
