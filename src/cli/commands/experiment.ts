import { lazy } from '../../util/lazy';
import type { Command } from 'commander';
import { currentActor, loadEnv } from '../../config/env';
import { InputError } from '../../errors';
import { DEFAULT_JUDGE_MODEL } from '../../model/evalDefaults';
import type { AbLine } from '../../analysis/abReport';
import type { Pool } from '../../db/pool';
import { experimentReport, startExperiment, stopExperiment, type Experiment } from '../../release/experiments';
import { withDatabase } from '../context';
import { emit, formatTime, table } from '../output';
import { wholeNumber } from '../options';

// Loaded on first use: the Temporal SDK and the services take most of a second to load.
const judges = lazy(() => require('../../evals/judge') as typeof import('../../evals/judge'));
const providerConfig = lazy(() => require('../../providers/config') as typeof import('../../providers/config'));
const providerDirectory = lazy(
  () => require('../../providers/directory') as typeof import('../../providers/directory'),
);

/** A judge on the configured providers; loaded only when asked for (the SDKs take a while to load). */
function liveJudge(pool: Pool, model: string) {
  const { Judge } = judges();
  const { loadProviderConfig } = providerConfig();
  const { ProviderDirectory } = providerDirectory();
  const env = loadEnv();
  return new Judge(pool, new ProviderDirectory(loadProviderConfig(env), env), model);
}

const describe = (e: Experiment) =>
  `${e.prompt}: ${e.versionA} (A, production) vs ${e.versionB} (B, ${e.splitBp / 100}% of traffic), since ${formatTime(e.startedAt)}${e.stoppedAt ? `, stopped ${formatTime(e.stoppedAt)}` : ''}`;

const num = (v: number | null) =>
  v === null ? '–' : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);

function reportTable(lines: AbLine[]): string {
  return table(
    ['METRIC', 'A (n)', 'B (n)', 'EFFECT B-A', 'ALWAYS-VALID CI', 'P', 'VERDICT', 'MORE PER ARM'],
    lines.map((l) => [
      l.metric,
      `${num(l.a.mean)} (${l.a.n})`,
      `${num(l.b.mean)} (${l.b.n})`,
      num(l.effect),
      l.interval ? `[${num(l.interval[0])}, ${num(l.interval[1])}]` : '–',
      l.pValue === null ? '–' : l.pValue.toPrecision(2),
      l.verdict,
      l.moreSamplesNeeded === null ? '–' : String(l.moreSamplesNeeded),
    ]),
  );
}

export function registerExperimentCommands(program: Command): void {
  const experiment = program
    .command('experiment')
    .description('A/B experiments: hold a split between two versions and read it with a sequential test');
  experiment
    .command('start')
    .description('Hold a split (no ramp): A is the production version, B gets --split percent; safe to run twice')
    .argument('<name>', 'prompt name')
    .argument('<versionA>', 'the production version (the control)')
    .argument('<versionB>', 'the version to compare')
    .option('--split <percent>', 'share of traffic for B', '50')
    .option('--json', 'machine-readable output')
    .action(async (prompt: string, versionA: string, versionB: string, opts: { split: string; json?: boolean }) => {
      const split = Number(opts.split);
      if (!Number.isFinite(split) || split <= 0 || split >= 100)
        throw new InputError(`--split must be a percentage above 0 and below 100 (got "${opts.split}")`);
      const result = await withDatabase((db) =>
        startExperiment(db.pool, {
          prompt,
          versionA,
          versionB,
          splitBp: Math.round(split * 100),
          actor: currentActor(),
        }),
      );
      emit(
        opts.json,
        result,
        () =>
          `${result.created ? 'Started' : 'Already running'}: ${describe(result.experiment)}.\nRead it any day with \`flightdeck experiment report ${prompt}\`; end it with \`flightdeck experiment stop ${prompt}\`.`,
      );
    });
  experiment
    .command('report')
    .description(
      'Per metric: B against A, effect, always-valid confidence interval (mSPRT), verdict, and samples still needed',
    )
    .argument('<name>', 'prompt name')
    .option('--alpha <p>', 'error rate of the sequential test', '0.05')
    .option('--judge-samples <n>', 'score this many more live answers per arm with the judge first', '0')
    .option('--judge <model>', 'judge model', DEFAULT_JUDGE_MODEL)
    .option('--json', 'machine-readable output')
    .action(async (prompt: string, opts: { alpha: string; judgeSamples: string; judge: string; json?: boolean }) => {
      const alpha = Number(opts.alpha);
      if (!(alpha > 0 && alpha < 0.5)) throw new InputError(`--alpha must be between 0 and 0.5 (got "${opts.alpha}")`);
      const judgeSamples = wholeNumber('--judge-samples', opts.judgeSamples, 0);
      const report = await withDatabase((db) => {
        const judge = judgeSamples > 0 ? liveJudge(db.pool, opts.judge) : undefined;
        return experimentReport(db.pool, prompt, { alpha, judge, judgeSamples });
      });
      emit(
        opts.json,
        report,
        () =>
          `${describe(report.experiment)}\nas of ${formatTime(report.asOf)}; p-values and intervals stay valid however often you look.\n\n${reportTable(report.lines)}`,
      );
    });
  experiment
    .command('stop')
    .description('End the split: all traffic back on A (production); safe to run twice')
    .argument('<name>', 'prompt name')
    .option('--json', 'machine-readable output')
    .action(async (prompt: string, opts: { json?: boolean }) => {
      const result = await withDatabase((db) => stopExperiment(db.pool, prompt, currentActor()));
      emit(
        opts.json,
        result,
        () =>
          `${result.stopped ? 'Stopped' : 'Already stopped'}: ${describe(result.experiment)}. The final report: \`flightdeck experiment report ${prompt}\`.`,
      );
    });
}
