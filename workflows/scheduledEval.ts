import { executeChild, proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type { EvalActivities } from '../activities/evals';
import { DEFAULT_EVAL_CHUNK_SIZE, DEFAULT_EVAL_CONCURRENCY, DEFAULT_JUDGE_MODEL } from '../src/model/evalDefaults';
import { evalWorkflow } from './evalRun';

const { listScheduledEvals, checkForEvalDrop } = proxyActivities<EvalActivities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 5 },
});

export interface ScheduledEvalResult {
  prompt: string;
  runId?: string;
  passed?: boolean;
  alerted?: boolean;
  error?: string;
}

/**
 * Daily: evaluate the production version of every prompt that has a dataset, and raise an alert
 * when it scores worse than its last passing run: how a silent provider-side model change shows.
 */
export async function scheduledEvalWorkflow(): Promise<ScheduledEvalResult[]> {
  const info = workflowInfo();
  const day = new Date().toISOString().slice(0, 10);
  const results: ScheduledEvalResult[] = [];
  for (const { prompt, hash } of await listScheduledEvals()) {
    setCurrentDetails(`Scheduled eval ${day}: ${results.length} done, now **${prompt}**`);
    try {
      const run = await executeChild(evalWorkflow, {
        workflowId: `scheduled-eval/${prompt}/${day}/${info.runId}`,
        args: [
          {
            prompt,
            ref: 'production',
            datasetHash: hash,
            runId: `scheduled/${prompt}/${info.runId}`,
            repeat: 1,
            judgeModel: DEFAULT_JUDGE_MODEL,
            chunkSize: DEFAULT_EVAL_CHUNK_SIZE,
            concurrency: DEFAULT_EVAL_CONCURRENCY,
          },
        ],
      });
      const drop = await checkForEvalDrop({ runId: run.runId });
      results.push({ prompt, runId: run.runId, passed: run.passed, alerted: drop.alerted });
    } catch (error) {
      // One prompt's broken eval must not stop the others from being checked.
      results.push({ prompt, error: (error as Error).message });
    }
  }
  setCurrentDetails(
    `Scheduled eval ${day}: ${results.length} prompts, ${results.filter((r) => r.alerted).length} alerts`,
  );
  return results;
}
