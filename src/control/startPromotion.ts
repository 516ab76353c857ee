import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { Pool } from '../db/pool';
import { InputError } from '../errors';
import { judgeRefusal } from '../evals/calibration';
import { needsJudge } from '../evals/caseEvaluator';
import type { Dataset } from '../evals/dataset';
import { DEFAULT_EVAL_CHUNK_SIZE } from '../model/evalDefaults';
import { assertKnownJudgeModel } from '../evals/judge';
import { validateCases } from '../evals/runner';
import { storeDataset } from '../evals/runStore';
import type { PromptReference } from '../registry/reference';
import { resolvePrompt } from '../registry/registry';
import { TASK_QUEUE } from '../temporal/connection';
import type { PromotionInput } from '../../workflows/promotion';
import { promotionWorkflowId } from '../../workflows/promotionMessages';
import { FlightdeckPrompt, FlightdeckStage } from '../model/searchAttributes';
import { liveExperiment } from '../release/experiments';
import { recordRelease } from '../release/releaseStore';
import { DEFAULT_ROLLOUT_OPTIONS, type RolloutOptions } from '../model/rolloutOptions';
import { parseDuration, parseSteps } from '../model/rolloutSteps';

export interface PromotionRequest {
  ref: PromptReference;
  /** The gate's dataset; none with `skipEval`. */
  dataset?: Dataset;
  /** An emergency fix: no eval gate, straight to the canary (needs a reason; audited). */
  skipEval?: boolean;
  reason?: string;
  /** `--steps` for this call; else the prompt file's `rollout.steps`; else the default ramp. */
  steps?: string;
  /** `--interval` between analyses; else the prompt file's `rollout.analysis_interval`. */
  interval?: string;
  judgeSamples?: number;
  /** Share of traffic a shadow step mirrors, in percent. */
  shadowPercent?: number;
  /** Failed analyses in a step that abort; inconclusive ones in a row beyond which it pauses. */
  failureLimit?: number;
  inconclusiveLimit?: number;
  judgeModel: string;
  repeat: number;
  concurrency: number;
  /** Let an uncalibrated or poorly agreeing judge gate anyway. */
  forceJudge?: boolean;
  actor: string;
}

function rolloutOptions(
  request: PromotionRequest,
  fromFile: { steps?: string; analysis_interval?: string } | undefined,
): RolloutOptions {
  const stepsText = request.steps ?? fromFile?.steps;
  const intervalText = request.interval ?? fromFile?.analysis_interval;
  const intervalMs = intervalText === undefined ? DEFAULT_ROLLOUT_OPTIONS.intervalMs : parseDuration(intervalText);
  if (intervalMs === undefined || intervalMs < 1000)
    throw new InputError(`--interval "${intervalText}" is not a duration of at least 1s, like 30s or 1m`);
  const shadowPercent = request.shadowPercent ?? DEFAULT_ROLLOUT_OPTIONS.shadowSampleBp / 100;
  if (!(shadowPercent > 0 && shadowPercent <= 100))
    throw new InputError(`--shadow-sample must be a percentage above 0 and at most 100 (got ${shadowPercent})`);
  return {
    ...DEFAULT_ROLLOUT_OPTIONS,
    steps: stepsText === undefined ? DEFAULT_ROLLOUT_OPTIONS.steps : parseSteps(stepsText),
    intervalMs,
    shadowSampleBp: Math.round(shadowPercent * 100),
    limits: {
      failureLimit: request.failureLimit ?? DEFAULT_ROLLOUT_OPTIONS.limits.failureLimit,
      inconclusiveLimit: request.inconclusiveLimit ?? DEFAULT_ROLLOUT_OPTIONS.limits.inconclusiveLimit,
    },
    judgeSamples: request.judgeSamples ?? DEFAULT_ROLLOUT_OPTIONS.judgeSamples,
    judgeModel: request.judgeModel,
  };
}

/** Every check a promotion can fail before it starts (bad input, exit 2), then store the dataset for the workers. */
export async function preparePromotion(pool: Pool, request: PromotionRequest): Promise<PromotionInput> {
  const candidate = await resolvePrompt(pool, request.ref.name, request.ref.ref);
  if (candidate.status === 'rejected')
    throw new InputError(`${candidate.name}@${candidate.version} was rejected; push a fixed version and promote that.`);
  const production = await resolvePrompt(pool, request.ref.name, 'production');
  if (production.version === candidate.version)
    throw new InputError(`${candidate.name}@${candidate.version} is already production; nothing to promote.`);
  const experiment = await liveExperiment(pool, candidate.name);
  if (experiment)
    throw new InputError(
      `${candidate.name} runs an A/B experiment (B = ${experiment.versionB}) on the same routing; \`flightdeck experiment stop ${candidate.name}\` first.`,
    );
  const rollout = rolloutOptions(request, candidate.spec.rollout);
  if (rollout.judgeSamples > 0 || request.dataset) assertKnownJudgeModel(request.judgeModel);
  const common = {
    prompt: candidate.name,
    version: candidate.version,
    actor: request.actor,
    reason: request.reason,
    judgeModel: request.judgeModel,
    repeat: request.repeat,
    concurrency: request.concurrency,
    chunkSize: DEFAULT_EVAL_CHUNK_SIZE,
    rollout,
  };
  if (request.skipEval) {
    if (request.dataset)
      throw new InputError(
        '--skip-eval and --dataset contradict each other: drop --dataset to skip the gate, or drop --skip-eval to run it.',
      );
    if (!request.reason?.trim())
      throw new InputError('--skip-eval needs --reason "<why>": skipping the eval gate is audited.');
    return { ...common, skipEval: true };
  }
  if (!request.dataset)
    throw new InputError(
      'Give the gate\'s dataset with --dataset <file>, or --skip-eval --reason "<why>" for an emergency fix.',
    );
  validateCases(candidate, request.dataset);
  validateCases(production, request.dataset);
  if (needsJudge(request.dataset.cases)) {
    const refusal = request.forceJudge ? undefined : await judgeRefusal(pool, request.judgeModel);
    if (refusal) throw new InputError(refusal);
  }
  await storeDataset(pool, request.dataset);
  return { ...common, datasetHash: request.dataset.hash };
}

/** Start `promotion/<prompt>/<version>` (one at a time per version) and record it as the prompt's latest release. */
export async function startPromotion(
  client: Client,
  pool: Pool,
  input: PromotionInput,
  dataset?: Dataset,
): Promise<{ workflowId: string; runId: string }> {
  const workflowId = promotionWorkflowId(input.prompt, input.version);
  try {
    const handle = await client.workflow.start('promotionWorkflow', {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [input],
      staticSummary: dataset
        ? `Promote ${input.prompt}@${input.version} (eval-gated, dataset ${dataset.name})`
        : `Promote ${input.prompt}@${input.version} (eval skipped: ${input.reason})`,
      staticDetails: `Started by ${input.actor}. ${dataset ? `Evaluates production and ${input.version} on ${dataset.cases.length} cases; if the gate passes, ` : 'No eval gate (emergency fix, audited); '}releases it through the canary \`rollout/${input.prompt}\` (\`flightdeck rollout status ${input.prompt}\`).`,
      typedSearchAttributes: [
        { key: FlightdeckPrompt, value: input.prompt },
        { key: FlightdeckStage, value: 'starting' },
      ],
    });
    await recordRelease(pool, {
      prompt: input.prompt,
      version: input.version,
      workflowId,
      kind: 'promotion',
      startedBy: input.actor,
    });
    return { workflowId, runId: handle.firstExecutionRunId };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      throw new InputError(
        `A promotion of ${input.prompt}@${input.version} is already running (${workflowId}); see \`flightdeck rollout status ${input.prompt}\`.`,
      );
    }
    throw error;
  }
}
