import {
  condition,
  executeChild,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { EvalActivities } from '../activities/evals';
import type { RegistryActivities } from '../activities/registry';
import { promotionDetails, type PromotionStage, type PromotionStatus } from '../src/release/promotionStatus';
import { evalWorkflow, type EvalWorkflowInput } from './evalRun';
import { approveSignal, cancelSignal, rejectSignal, statusQuery, type Decision } from './promotionMessages';
import { FlightdeckPrompt, FlightdeckStage } from './searchAttributes';

export interface PromotionInput {
  prompt: string;
  version: string;
  datasetHash: string;
  actor: string;
  judgeModel: string;
  repeat: number;
  concurrency: number;
  chunkSize: number;
}

const options: ActivityOptions = { startToCloseTimeout: '1 minute', retry: { maximumAttempts: 10 } };
const registry = proxyActivities<RegistryActivities>(options);
const evals = proxyActivities<EvalActivities>(options);

/**
 * Eval-gated promotion: evaluate production (the baseline) and the candidate on the same cases;
 * a failed gate rejects the version; a passed one moves `staging` and waits for a human to
 * approve (production moves), reject or cancel.
 */
export async function promotionWorkflow(input: PromotionInput): Promise<PromotionStatus> {
  const info = workflowInfo();
  const status: PromotionStatus = { workflowId: info.workflowId, prompt: input.prompt, version: input.version, datasetHash: input.datasetHash, stage: 'evaluating', history: [] };
  let decision: { kind: 'approve' | 'reject' | 'cancel'; by: Decision } | undefined;
  const decide = (kind: 'approve' | 'reject' | 'cancel') => (by: Decision) => {
    decision ??= { kind, by };
  };
  setHandler(statusQuery, () => status);
  setHandler(approveSignal, decide('approve'));
  setHandler(rejectSignal, decide('reject'));
  setHandler(cancelSignal, decide('cancel'));

  const enter = (stage: PromotionStage, note?: string) => {
    status.stage = stage;
    status.history.push({ stage, at: new Date().toISOString(), note });
    upsertSearchAttributes([
      { key: FlightdeckPrompt, value: input.prompt },
      { key: FlightdeckStage, value: stage },
    ]);
    setCurrentDetails(promotionDetails(status));
  };

  const production = await registry.resolvePromptVersion.executeWithOptions({ ...options, summary: `resolve ${input.prompt} production` }, [input.prompt, 'production']);
  status.baselineVersion = production.version;
  const evalInput = (ref: string, role: string, baselineRunId?: string): EvalWorkflowInput => ({
    prompt: input.prompt,
    ref,
    datasetHash: input.datasetHash,
    runId: `${info.workflowId}@${info.runId}/${role}`,
    repeat: input.repeat,
    judgeModel: input.judgeModel,
    chunkSize: input.chunkSize,
    concurrency: input.concurrency,
    baselineRunId,
  });

  enter('evaluating-baseline', `production is ${production.version}`);
  const baseline = await executeChild(evalWorkflow, { workflowId: `${info.workflowId}/eval-baseline`, args: [evalInput(production.version, 'baseline')] });
  status.baselineRunId = baseline.runId;

  enter('evaluating');
  const candidate = await executeChild(evalWorkflow, { workflowId: `${info.workflowId}/eval-candidate`, args: [evalInput(input.version, 'candidate', baseline.runId)] });
  status.candidateRunId = candidate.runId;
  status.passRate = candidate.passRate;
  status.gate = { passed: candidate.passed, checks: candidate.checks };

  if (!candidate.passed) {
    await evals.rejectPromptVersion.executeWithOptions({ ...options, summary: 'reject: the eval gate failed' }, [
      { prompt: input.prompt, version: input.version, reason: 'eval gate failed', actor: 'promotion-workflow', report: candidate.report },
    ]);
    status.reason = 'eval gate failed';
    enter('rejected', 'eval gate failed');
    return status;
  }

  await registry.moveLabel.executeWithOptions({ ...options, summary: `staging → ${input.version}` }, [
    { name: input.prompt, label: 'staging', version: input.version, actor: input.actor, reason: `eval gate passed (run ${candidate.runId})` },
  ]);
  enter('awaiting-approval');
  await condition(() => decision !== undefined);
  const { kind, by } = decision!;
  status.decidedBy = by.actor;
  status.reason = by.reason;

  if (kind === 'approve') {
    enter('promoting');
    await registry.moveLabel.executeWithOptions({ ...options, summary: `production → ${input.version}` }, [
      { name: input.prompt, label: 'production', version: input.version, actor: by.actor, reason: by.reason ?? `approved after eval run ${candidate.runId}` },
    ]);
    enter('promoted', `approved by ${by.actor}`);
  } else if (kind === 'reject') {
    await evals.rejectPromptVersion.executeWithOptions({ ...options, summary: 'reject: a human said no' }, [
      { prompt: input.prompt, version: input.version, reason: by.reason ?? 'rejected at approval', actor: by.actor },
    ]);
    enter('rejected', `rejected by ${by.actor}`);
  } else {
    enter('cancelled', `cancelled by ${by.actor}`);
  }
  return status;
}
