import { Context } from '@temporalio/activity';
import type { Pool } from '../src/db/pool';
import { markdownReport } from '../src/evals/report';
import { concludeRun, executeCases, prepareRun, type CallCounters } from '../src/evals/runner';
import { worstDrop, type Drop } from '../src/evals/evalDrop';
import { datasetsByPrompt, lastPassingRun, loadRun, loadRunSummary, loadStoredDataset } from '../src/evals/runStore';
import { writeAlert } from '../src/telemetry/alerts';
import type { ProviderDirectory } from '../src/providers/directory';
import { rejectVersion } from '../src/registry/rejection';
import { resolvePrompt } from '../src/registry/registry';
import type { GateCheck } from '../src/model/gateResult';

export interface PrepareEvalInput {
  prompt: string;
  /** Version or label; resolved once here so the whole run evaluates one version. */
  ref: string;
  datasetHash: string;
  runId: string;
  repeat: number;
  judgeModel: string;
}

export interface PreparedEval {
  runId: string;
  version: string;
  caseIds: string[];
}

export interface ConcludedEval {
  runId: string;
  version: string;
  passed: boolean;
  passRate: number;
  checks: GateCheck[];
  report: string;
}

/** Eval activities: prepare a run, evaluate chunks of cases (heartbeating), conclude with the gate. */
export function createEvalActivities(pool: Pool, providers: ProviderDirectory) {
  return {
    async prepareEvalRun(input: PrepareEvalInput): Promise<PreparedEval> {
      const prompt = await resolvePrompt(pool, input.prompt, input.ref);
      const dataset = await loadStoredDataset(pool, input.datasetHash);
      await prepareRun({ pool, providers, judgeModel: input.judgeModel }, prompt, dataset, {
        repeat: input.repeat,
        id: input.runId,
      });
      return { runId: input.runId, version: prompt.version, caseIds: dataset.cases.map((c) => c.id) };
    },

    /** Safe to retry: stored cases are skipped and judge scores are cached, so a killed worker loses little. */
    async evaluateEvalChunk(input: { runId: string; caseIds: string[]; concurrency: number }): Promise<CallCounters> {
      const run = await loadRun(pool, input.runId);
      const prompt = await resolvePrompt(pool, run.prompt, run.version);
      const dataset = await loadStoredDataset(pool, run.datasetHash);
      const context = Context.current();
      return executeCases({ pool, providers, judgeModel: run.judgeModel ?? '' }, run, prompt, dataset, {
        concurrency: input.concurrency,
        caseIds: input.caseIds,
        onCaseDone: (done, total) => context.heartbeat({ done, total }),
      });
    },

    async concludeEvalRun(input: { runId: string; baselineRunId?: string }): Promise<ConcludedEval> {
      const run = await loadRun(pool, input.runId);
      const dataset = await loadStoredDataset(pool, run.datasetHash);
      const prompt = await resolvePrompt(pool, run.prompt, run.version);
      const baseline = input.baselineRunId ? await loadRun(pool, input.baselineRunId) : undefined;
      const outcome = await concludeRun(pool, run, dataset, prompt.spec.eval?.floors, baseline);
      return {
        runId: run.id,
        version: run.version,
        passed: outcome.gate.passed,
        passRate: outcome.summary.metrics.pass_rate?.mean ?? 0,
        checks: outcome.gate.checks,
        report: markdownReport(outcome, dataset),
      };
    },

    async rejectPromptVersion(input: {
      prompt: string;
      version: string;
      reason: string;
      actor: string;
      report?: string;
    }): Promise<void> {
      await rejectVersion(pool, input.prompt, input.version, {
        reason: input.reason,
        actor: input.actor,
        report: input.report,
      });
    },

    async listScheduledEvals(): Promise<Array<{ prompt: string; hash: string }>> {
      return datasetsByPrompt(pool);
    },

    /** Compare a scheduled run with the last passing run on the same dataset; a drop past tolerance writes an alert. */
    async checkForEvalDrop(input: { runId: string }): Promise<{ alerted: boolean; drop?: Drop }> {
      const run = await loadRun(pool, input.runId);
      const dataset = await loadStoredDataset(pool, run.datasetHash);
      const previous = await lastPassingRun(pool, run.prompt, run.datasetHash, run.id);
      const current = await loadRunSummary(pool, run.id);
      if (!previous || !current) return { alerted: false };
      const drop = worstDrop(previous.summary.metrics, current.metrics);
      if (drop.drop <= dataset.tolerance) return { alerted: false, drop };
      await writeAlert(pool, {
        kind: 'eval.drop',
        subject: run.prompt,
        message: `${run.prompt}@${run.version}: ${drop.metric} dropped by ${(drop.drop * 100).toFixed(1)} points against the last passing run (tolerance ${(dataset.tolerance * 100).toFixed(1)}); the provider may have changed the model under it`,
        details: {
          runId: run.id,
          previousRunId: previous.id,
          previousVersion: previous.version,
          drop,
          tolerance: dataset.tolerance,
        },
      });
      return { alerted: true, drop };
    },
  };
}

export type EvalActivities = ReturnType<typeof createEvalActivities>;
