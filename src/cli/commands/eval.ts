import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { FlightdeckError, InputError } from '../../errors';
import { DEFAULT_AGREEMENT_FLOOR, calibrate, judgeRefusal, loadLabels } from '../../evals/calibration';
import { needsJudge } from '../../evals/caseEvaluator';
import { loadDataset } from '../../evals/dataset';
import { DEFAULT_JUDGE_MODEL } from '../../model/evalDefaults';
import { Judge, assertKnownJudgeModel } from '../../evals/judge';
import { markdownReport } from '../../evals/report';
import {
  concludeRun,
  executeCases,
  prepareRun,
  validateCases,
  type CallCounters,
  type EvalServices,
} from '../../evals/runner';
import { loadProviderConfig, providerNameFor } from '../../providers/config';
import { ProviderDirectory } from '../../providers/directory';
import { parsePromptReference } from '../../registry/reference';
import { resolvePrompt } from '../../registry/registry';
import { withDatabase } from '../context';
import { positiveInt } from '../options';
import { emit } from '../output';
import { ProgressBar } from '../progressBar';
import { ensureSimulator } from '../simulatorProcess';
import type { Env } from '../../config/env';
import type { Database } from '../../db/database';

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Database, providers, and the simulator when some model in use is routed to it and it is not running. */
/** Providers for the models an eval calls (starting the simulator when one of them is simulated), on an open database. */
async function withEvalProviders<T>(
  db: Database,
  env: Env,
  judgeModel: string,
  models: string[],
  fn: (services: EvalServices) => Promise<T>,
): Promise<T> {
  const config = loadProviderConfig(env);
  const simulated = models.some((m) => providerNameFor(config, m).startsWith('simulator'));
  const simulator = simulated ? await ensureSimulator(env, log) : undefined;
  try {
    return await fn({ pool: db.pool, providers: new ProviderDirectory(config, env), judgeModel });
  } finally {
    await simulator?.close();
  }
}

interface RunOptions {
  dataset: string;
  baseline?: string;
  gate?: boolean;
  concurrency: string;
  repeat: string;
  report?: string;
  judge: string;
  forceJudge?: boolean;
  json?: boolean;
}

export function registerEvalCommands(program: Command): void {
  const evalCommand = program.command('eval').description('Evals: the tests of an LLM feature');

  evalRunCommand(evalCommand);
  evalCalibrateCommand(evalCommand);
}

function evalRunCommand(evalCommand: Command): void {
  evalCommand
    .command('run')
    .description(
      'Run a prompt version against a dataset; with --gate, exit 3 when floors or the baseline comparison fail',
    )
    .argument('<ref>', 'prompt reference: <name>@<version|label>')
    .requiredOption('--dataset <file>', 'dataset: JSONL, YAML (cases:) or a promptfoo test file (tests:)')
    .option('--baseline <ref>', 'version or label to compare with on the same cases')
    .option('--gate', 'apply floors and the maximum regression; exit 3 on failure')
    .option('--concurrency <n>', 'cases in flight at once', '8')
    .option('--repeat <n>', 'judge each output n times and report agreement', '1')
    .option('--report <file>', 'write the markdown report (for a pull-request comment)')
    .option('--judge <model>', 'judge model for rubric, faithfulness and answer-relevance', DEFAULT_JUDGE_MODEL)
    .option('--force-judge', 'gate even with an uncalibrated or poorly agreeing judge')
    .option('--json', 'machine-readable output: the whole result')
    .action(async (text: string, opts: RunOptions) => {
      const ref = parsePromptReference(text);
      const concurrency = positiveInt('--concurrency', opts.concurrency);
      const repeat = positiveInt('--repeat', opts.repeat);
      const dataset = loadDataset(opts.dataset);
      // One database for the whole run: opening the embedded one twice in a process is what crashed here.
      const result = await withDatabase(async (db, env) => {
        const candidate = await resolvePrompt(db.pool, ref.name, ref.ref);
        const baseline = opts.baseline ? await resolvePrompt(db.pool, ref.name, opts.baseline) : undefined;
        validateCases(candidate, dataset);
        if (baseline) validateCases(baseline, dataset);
        const judged = needsJudge(dataset.cases);
        if (judged) assertKnownJudgeModel(opts.judge);
        if (judged && opts.gate && !opts.forceJudge) {
          const refusal = await judgeRefusal(db.pool, opts.judge);
          if (refusal) throw new InputError(refusal);
        }
        const models = [candidate.spec.model, ...(baseline ? [baseline.spec.model] : []), opts.judge];
        return withEvalProviders(db, env, opts.judge, models, async (services) => {
          const counters: CallCounters = { candidateCalls: 0, judgeCalls: 0, judgeCacheHits: 0 };
          const add = (c: CallCounters) => {
            counters.candidateCalls += c.candidateCalls;
            counters.judgeCalls += c.judgeCalls;
            counters.judgeCacheHits += c.judgeCacheHits;
          };
          let baselineRun;
          if (baseline) {
            baselineRun = await prepareRun(services, baseline, dataset, { repeat });
            add(
              await executeCases(services, baselineRun, baseline, dataset, {
                concurrency,
                onCaseDone: progress(`baseline ${baseline.version}`),
              }),
            );
            await concludeRun(services.pool, baselineRun, dataset, baseline.spec.eval?.floors);
          }
          const run = await prepareRun(services, candidate, dataset, { repeat });
          add(
            await executeCases(services, run, candidate, dataset, {
              concurrency,
              onCaseDone: progress(`candidate ${candidate.version}`),
            }),
          );
          const concluded = await concludeRun(services.pool, run, dataset, candidate.spec.eval?.floors, baselineRun);
          return { ...concluded, counters, report: markdownReport(concluded, dataset, counters) };
        });
      });
      if (opts.report) writeFileSync(opts.report, result.report);
      emit(opts.json, { ...result, ...result.counters }, () => result.report);
      if (opts.gate && !result.gate.passed)
        throw new FlightdeckError(`The eval gate failed for ${text}; see the report above.`, 3);
    });
}

function evalCalibrateCommand(evalCommand: Command): void {
  evalCommand
    .command('calibrate')
    .description("Measure a judge against at least 50 human-labelled examples (Cohen's kappa, Spearman)")
    .requiredOption(
      '--labels <file>',
      'JSONL: {id, kind?, rubric?, question?, context?, output, human_score, human_pass?}',
    )
    .option('--judge <model>', 'judge model', DEFAULT_JUDGE_MODEL)
    .option('--json', 'machine-readable output')
    .action(async (opts: { labels: string; judge: string; json?: boolean }) => {
      const { labels, hash } = loadLabels(opts.labels);
      assertKnownJudgeModel(opts.judge);
      const result = await withDatabase((db, env) =>
        withEvalProviders(db, env, opts.judge, [opts.judge], (services) =>
          calibrate(services.pool, new Judge(services.pool, services.providers, opts.judge), labels, hash),
        ),
      );
      const floor = DEFAULT_AGREEMENT_FLOOR;
      const fit = result.kappa >= floor.kappa && result.spearman >= floor.spearman;
      emit(opts.json, { ...result, floor, fitToGate: fit }, () =>
        [
          `Judge ${result.judgeModel} on ${result.examples} labelled examples:`,
          `  Cohen's kappa (pass/fail): ${result.kappa.toFixed(3)}   (floor ${floor.kappa})`,
          `  Spearman (scores):         ${result.spearman.toFixed(3)}   (floor ${floor.spearman})`,
          `  raw agreement:             ${(result.agreement * 100).toFixed(1)}%`,
          fit
            ? 'This judge may gate releases.'
            : 'This judge is below the floor: gates refuse it unless --force-judge.',
        ].join('\n'),
      );
    });
}

function progress(label: string): (done: number, total: number) => void {
  const bar = new ProgressBar(label);
  return (done, total) => bar.update(done, total);
}
