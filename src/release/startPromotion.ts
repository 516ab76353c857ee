import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Pool } from '../db/pool';
import { InputError } from '../errors';
import { judgeRefusal } from '../evals/calibration';
import { needsJudge } from '../evals/caseEvaluator';
import type { Dataset } from '../evals/dataset';
import { DEFAULT_EVAL_CHUNK_SIZE } from '../evals/defaults';
import { assertKnownJudgeModel } from '../evals/judge';
import { validateCases } from '../evals/runner';
import { storeDataset } from '../evals/runStore';
import type { PromptReference } from '../registry/reference';
import { resolvePrompt } from '../registry/registry';
import { TASK_QUEUE } from '../temporal/connection';
import type { PromotionInput } from '../../workflows/promotion';
import { promotionWorkflowId } from '../../workflows/promotionMessages';
import { FlightdeckPrompt, FlightdeckStage } from '../../workflows/searchAttributes';
import { recordRelease } from './releaseStore';

export interface PromotionRequest {
  ref: PromptReference;
  dataset: Dataset;
  judgeModel: string;
  repeat: number;
  concurrency: number;
  /** Let an uncalibrated or poorly agreeing judge gate anyway. */
  forceJudge?: boolean;
  actor: string;
}

/** Every check a promotion can fail before it starts (bad input, exit 2), then store the dataset for the workers. */
export async function preparePromotion(pool: Pool, request: PromotionRequest): Promise<PromotionInput> {
  const candidate = await resolvePrompt(pool, request.ref.name, request.ref.ref);
  if (candidate.status === 'rejected') throw new InputError(`${candidate.name}@${candidate.version} was rejected; push a fixed version and promote that.`);
  const production = await resolvePrompt(pool, request.ref.name, 'production');
  if (production.version === candidate.version) throw new InputError(`${candidate.name}@${candidate.version} is already production; nothing to promote.`);
  validateCases(candidate, request.dataset);
  validateCases(production, request.dataset);
  if (needsJudge(request.dataset.cases)) {
    assertKnownJudgeModel(request.judgeModel);
    const refusal = request.forceJudge ? undefined : await judgeRefusal(pool, request.judgeModel);
    if (refusal) throw new InputError(refusal);
  }
  await storeDataset(pool, request.dataset);
  return {
    prompt: candidate.name,
    version: candidate.version,
    datasetHash: request.dataset.hash,
    actor: request.actor,
    judgeModel: request.judgeModel,
    repeat: request.repeat,
    concurrency: request.concurrency,
    chunkSize: DEFAULT_EVAL_CHUNK_SIZE,
  };
}

/** Start `promotion/<prompt>/<version>` (one at a time per version) and record it as the prompt's latest release. */
export async function startPromotion(client: Client, pool: Pool, input: PromotionInput, dataset: Dataset): Promise<{ workflowId: string; runId: string }> {
  const workflowId = promotionWorkflowId(input.prompt, input.version);
  try {
    const handle = await client.workflow.start('promotionWorkflow', {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [input],
      staticSummary: `Promote ${input.prompt}@${input.version} (eval-gated, dataset ${dataset.name})`,
      staticDetails: `Started by ${input.actor}. Evaluates production and ${input.version} on ${dataset.cases.length} cases, then waits for \`flightdeck rollout approve ${input.prompt}\`.`,
      typedSearchAttributes: [
        { key: FlightdeckPrompt, value: input.prompt },
        { key: FlightdeckStage, value: 'starting' },
      ],
    });
    await recordRelease(pool, { prompt: input.prompt, version: input.version, workflowId, kind: 'promotion', startedBy: input.actor });
    return { workflowId, runId: handle.firstExecutionRunId };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      throw new InputError(`A promotion of ${input.prompt}@${input.version} is already running (${workflowId}); see \`flightdeck rollout status ${input.prompt}\`.`);
    }
    throw error;
  }
}
