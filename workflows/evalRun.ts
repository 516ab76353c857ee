import { proxyActivities, setCurrentDetails, type ActivityOptions } from '@temporalio/workflow';
import type { ConcludedEval, EvalActivities, PrepareEvalInput } from '../activities/evals';
import { chunked } from '../src/model/evalDefaults';

export interface EvalWorkflowInput extends PrepareEvalInput {
  chunkSize: number;
  concurrency: number;
  baselineRunId?: string;
}

const quick: ActivityOptions = { startToCloseTimeout: '1 minute', retry: { maximumAttempts: 5 } };
// A chunk heartbeats after every case; a worker that dies is noticed within the heartbeat timeout.
const chunkOptions: ActivityOptions = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '15 seconds',
  retry: { maximumAttempts: 10, initialInterval: '2 seconds' },
};
const { prepareEvalRun, concludeEvalRun } = proxyActivities<EvalActivities>(quick);
const { evaluateEvalChunk } = proxyActivities<EvalActivities>(chunkOptions);

/** Evaluate one prompt version on a stored dataset, chunk by chunk, then conclude with the gate. */
export async function evalWorkflow(input: EvalWorkflowInput): Promise<ConcludedEval> {
  const prepared = await prepareEvalRun.executeWithOptions(
    { ...quick, summary: `prepare ${input.prompt}@${input.ref}` },
    [input],
  );
  const chunks = chunked(prepared.caseIds, input.chunkSize);
  let done = 0;
  for (const caseIds of chunks) {
    setCurrentDetails(`Evaluating **${input.prompt}@${prepared.version}**: ${done}/${prepared.caseIds.length} cases`);
    await evaluateEvalChunk.executeWithOptions(
      { ...chunkOptions, summary: `cases ${done + 1}–${done + caseIds.length} of ${prepared.caseIds.length}` },
      [{ runId: input.runId, caseIds, concurrency: input.concurrency }],
    );
    done += caseIds.length;
  }
  setCurrentDetails(`Evaluated **${input.prompt}@${prepared.version}**: ${done} cases`);
  return concludeEvalRun.executeWithOptions({ ...quick, summary: 'apply the gate' }, [
    { runId: input.runId, baselineRunId: input.baselineRunId },
  ]);
}
