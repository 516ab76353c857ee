import { execFileSync } from 'node:child_process';
import type { PairedComparison } from '../analysis/stats';
import type { Pool } from '../db/pool';
import { InputError } from '../errors';
import type { ProviderDirectory } from '../providers/directory';
import type { PromptVersion } from '../registry/registry';
import { bindVariables } from '../registry/template';
import { evaluateCase, needsJudge } from './caseEvaluator';
import { mapWithConcurrency } from './concurrency';
import type { Dataset } from './dataset';
import type { GateResult } from '../model/gateResult';
import { applyGate, gateSettings } from './gate';
import { Judge } from './judge';
import {
  createRun,
  finishRun,
  loadCaseResults,
  storeCaseResult,
  storeDataset,
  storedCaseIds,
  type RunRecord,
} from './runStore';
import { compareRuns, summarize, type EvalSummary } from './summary';

export interface EvalServices {
  pool: Pool;
  providers: ProviderDirectory;
  judgeModel: string;
}

export interface CallCounters {
  candidateCalls: number;
  judgeCalls: number;
  judgeCacheHits: number;
}

export interface EvalOutcome {
  run: RunRecord;
  summary: EvalSummary;
  baseline?: { run: RunRecord; summary: EvalSummary };
  comparison?: Record<string, PairedComparison>;
  gate: GateResult;
}

/** Every case must render against the prompt: a missing or wrong variable is named with its case. */
export function validateCases(prompt: PromptVersion, dataset: Dataset): void {
  for (const c of dataset.cases) {
    try {
      bindVariables(prompt.spec.variables, c.vars);
    } catch (error) {
      throw new InputError(
        `Dataset ${dataset.name}, case "${c.id}" vars do not fit ${prompt.name}@${prompt.version}: ${(error as Error).message.replace(/^Cannot render: /, '')}`,
      );
    }
  }
}

export function currentGitCommit(): string | undefined {
  try {
    return (
      execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() ||
      undefined
    );
  } catch {
    return undefined;
  }
}

/** Validate, store the dataset, and open a run record (idempotent for a given id). */
export async function prepareRun(
  services: EvalServices,
  prompt: PromptVersion,
  dataset: Dataset,
  options: { repeat: number; id?: string },
): Promise<RunRecord> {
  validateCases(prompt, dataset);
  await storeDataset(services.pool, dataset);
  return createRun(services.pool, {
    id: options.id,
    prompt: prompt.name,
    version: prompt.version,
    datasetHash: dataset.hash,
    judgeModel: needsJudge(dataset.cases) ? services.judgeModel : undefined,
    repeat: options.repeat,
    gitCommit: currentGitCommit(),
  });
}

/**
 * Evaluate the cases of `caseIds` (default all) that the run has not stored yet, `concurrency` at a
 * time, storing each as it finishes. Safe to call again after a crash: finished cases are skipped
 * and their judge scores are cached.
 */
export async function executeCases(
  services: EvalServices,
  run: RunRecord,
  prompt: PromptVersion,
  dataset: Dataset,
  options: { concurrency: number; caseIds?: string[]; onCaseDone?: (done: number, total: number) => void },
): Promise<CallCounters> {
  const stored = await storedCaseIds(services.pool, run.id);
  const wanted = options.caseIds ? new Set(options.caseIds) : undefined;
  const pending = dataset.cases.filter((c) => !stored.has(c.id) && (!wanted || wanted.has(c.id)));
  const judge = run.judgeModel ? new Judge(services.pool, services.providers, run.judgeModel) : undefined;
  const total = wanted ? wanted.size : dataset.cases.length;
  let done = total - pending.length;
  options.onCaseDone?.(done, total);
  await mapWithConcurrency(pending, options.concurrency, async (c) => {
    const result = await evaluateCase(prompt.spec, c, services.providers, judge, run.repeat);
    await storeCaseResult(services.pool, run.id, result);
    options.onCaseDone?.(++done, total);
  });
  return {
    candidateCalls: pending.length,
    judgeCalls: judge?.counters.judgeCalls ?? 0,
    judgeCacheHits: judge?.counters.judgeCacheHits ?? 0,
  };
}

/** Summarise a finished run, compare it with the baseline run on the same cases, apply the gate, store it all. */
export async function concludeRun(
  pool: Pool,
  run: RunRecord,
  dataset: Dataset,
  promptFloors: Record<string, number> | undefined,
  baseline?: RunRecord,
): Promise<EvalOutcome> {
  const results = await loadCaseResults(pool, run.id);
  const summary = summarize(results);
  let baselineOutcome: EvalOutcome['baseline'];
  let comparison: EvalOutcome['comparison'];
  if (baseline) {
    const baselineResults = await loadCaseResults(pool, baseline.id);
    baselineOutcome = { run: baseline, summary: summarize(baselineResults) };
    comparison = compareRuns(results, baselineResults);
  }
  const gate = applyGate(summary, gateSettings(dataset, promptFloors), comparison);
  await finishRun(pool, run.id, { ...summary, gate, baselineRunId: baseline?.id, comparison });
  return { run, summary, baseline: baselineOutcome, comparison, gate };
}
