import path from 'node:path';
import type { Command } from 'commander';
import { loadEnv } from '../../config/env';
import { listCanaryRuns, type CanaryAnalysis } from '../../canaries/canaryRuns';
import { loadCanarySuite } from '../../canaries/canarySuite';
import { lazy } from '../../util/lazy';
import { withDatabase } from '../context';
import { emit, formatTime, table } from '../output';
import { positiveInt } from '../options';

const temporal = lazy(() => require('../../temporal/connection') as typeof import('../../temporal/connection'));
const control = lazy(() => require('../../control/canaryControl') as typeof import('../../control/canaryControl'));

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** A run's numbers: success per category with its interval, over-refusal, the guardrails, the judge. */
export function describeCanary(a: CanaryAnalysis): string {
  const s = a.summary;
  return [
    table(
      ['CATEGORY', 'ATTEMPTS', 'SUCCEEDED', 'RATE', '95% INTERVAL'],
      [
        ...Object.entries(s.categories).map(([category, r]) => [
          category,
          r.attempts,
          r.successes,
          pct(r.rate),
          `${pct(r.low)}-${pct(r.high)}`,
        ]),
        [
          'all attacks',
          s.overall.attempts,
          s.overall.successes,
          pct(s.overall.rate),
          `${pct(s.overall.low)}-${pct(s.overall.high)}`,
        ],
      ],
    ),
    `By target: ${Object.entries(s.targets)
      .map(([target, r]) => `${target} ${pct(r.rate)} (${r.successes} of ${r.attempts})`)
      .join('; ')}.`,
    `Over-refusal: ${s.overRefusal.successes} of ${s.overRefusal.attempts} benign requests refused (${pct(s.overRefusal.rate)}).`,
    `Guardrails that fired on attacks: ${
      Object.entries(s.guardrails)
        .map(([g, n]) => `${g} ${n}`)
        .join(', ') || 'none'
    }.`,
    a.rise.baselineRuns
      ? `Against the last ${a.rise.baselineRuns} run(s): ${a.rise.rose ? 'a significant RISE' : 'no significant rise'} (${(a.rise.rise * 100).toFixed(1)} points, z ${a.rise.z.toFixed(2)}).`
      : 'No earlier run of this suite version to compare with.',
    `Judge on ${a.judge.labelled} labelled answers: precision ${a.judge.precision === null ? 'n/a' : pct(a.judge.precision)}, recall ${a.judge.recall === null ? 'n/a' : pct(a.judge.recall)}.`,
    ...a.reappeared.map((r) => `CAME BACK: ${r.prompt} / ${r.caseId} (a security incident was started)`),
  ].join('\n');
}

export function registerCanaryCommands(program: Command): void {
  const canaries = program
    .command('canaries')
    .description('Weekly jailbreak canaries: known attacks against every production prompt and live candidate');

  canaries
    .command('run')
    .description(
      'Run the jailbreak suite now through the gateway as the synthetic tenant flightdeck-canaries, and print the result',
    )
    .option('--suite <file>', 'a suite file (default: canaries/jailbreaks.yaml in the repo)')
    .option('--attempts <n>', 'attempts at least, over every target and case', '500')
    .option('--id <id>', 'the run id (default: this ISO week), so the workflow is canaries/<id>')
    .option('--no-wait', 'start it and print its workflow id')
    .option('--json', 'machine-readable output')
    .action(async (opts: { suite?: string; attempts: string; id?: string; wait: boolean; json?: boolean }) => {
      const attempts = positiveInt('--attempts', opts.attempts);
      const suiteFile = opts.suite === undefined ? undefined : path.resolve(opts.suite);
      loadCanarySuite(suiteFile); // a suite that does not parse exits 2 here, before anything starts
      const result = await temporal().withTemporalClient(loadEnv(), async (client) => {
        const workflowId = await control().startCanaryRun(client, { suiteFile, attempts }, { id: opts.id });
        if (!opts.wait) return { workflowId };
        process.stderr.write(`Started ${workflowId}; it runs through the gateway now.\n`);
        return { workflowId, ...((await client.workflow.getHandle(workflowId).result()) as CanaryAnalysis) };
      });
      emit(opts.json, result, () =>
        'summary' in result
          ? `${result.workflowId}\n${describeCanary(result as CanaryAnalysis)}`
          : `Started ${result.workflowId}.`,
      );
    });

  canaries
    .command('report')
    .description('The latest canary runs, each with its numbers')
    .option('--limit <n>', 'how many runs', '3')
    .option('--json', 'machine-readable output')
    .action(async (opts: { limit: string; json?: boolean }) => {
      const runs = await withDatabase((db) => listCanaryRuns(db.pool, positiveInt('--limit', opts.limit)));
      emit(opts.json, runs, () =>
        runs.length
          ? runs
              .map((r) =>
                [
                  `${r.workflowId} (suite ${r.suiteVersion}), ${formatTime(r.startedAt)}${r.endedAt ? '' : ', still running'}`,
                  ...(r.analysis ? [describeCanary(r.analysis)] : []),
                ].join('\n'),
              )
              .join('\n\n')
          : 'No canary runs yet: `flightdeck canaries run` starts one.',
      );
    });
}
