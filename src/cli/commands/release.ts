import { lazy } from '../../util/lazy';
import type { Command } from 'commander';
import { currentActor, loadEnv } from '../../config/env';
import { loadDataset } from '../../evals/dataset';
import { DEFAULT_EVAL_CONCURRENCY, DEFAULT_JUDGE_MODEL } from '../../model/evalDefaults';
import { parsePromptReference } from '../../registry/reference';
import type { PromotionStatus } from '../../model/promotionStatus';
import type { ReleaseView } from '../../control/rolloutControl';
import {
  describeSteps,
  formatMetric,
  rolloutSummaryLine,
  stepLabel,
  type RolloutStatus,
} from '../../model/rolloutStatus';
import { withDatabase } from '../context';
import { positiveInt, wholeNumber } from '../options';
import { emit, formatTime } from '../output';

// Loaded on first use: the Temporal SDK and the services take most of a second to load.
const temporal = lazy(() => require('../../temporal/connection') as typeof import('../../temporal/connection'));
const control = lazy(() => require('../../control/rolloutControl') as typeof import('../../control/rolloutControl'));
const promotions = lazy(() => require('../../control/startPromotion') as typeof import('../../control/startPromotion'));

function formatPromotion(s: PromotionStatus): string[] {
  const lines = [`${s.prompt}@${s.version}: ${s.stage}   (workflow ${s.workflowId})`];
  if (s.skipEval) lines.push(`eval gate skipped (emergency fix), baseline ${s.baselineVersion ?? '–'}`);
  else
    lines.push(
      `baseline ${s.baselineVersion ?? '–'}, dataset ${s.datasetHash?.slice(0, 12) ?? '–'}${s.passRate !== undefined ? `, pass rate ${(s.passRate * 100).toFixed(1)}%` : ''}`,
    );
  if (s.gate) {
    lines.push(`gate: ${s.gate.passed ? 'passed' : 'FAILED'}`);
    for (const c of s.gate.checks)
      lines.push(
        `  ${c.passed ? 'ok  ' : 'FAIL'} ${c.metric} ${c.kind === 'floor' ? `>= ${c.limit}` : `change >= ${c.limit}`}: ${c.actual.toFixed(3)}`,
      );
  }
  lines.push('history:', ...s.history.map((h) => `  ${formatTime(h.at)}  ${h.stage}${h.note ? `  (${h.note})` : ''}`));
  return lines;
}

const minutes = (ms: number) => (ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${Math.round(ms / 1000)} s`);

/** Stage, weight, time in hold, the steps and the last verdicts with their numbers. */
function formatRollout(r: RolloutStatus, now = Date.now()): string[] {
  const step = r.steps[r.stepIndex];
  const lines = [`canary: ${rolloutSummaryLine(r)}   (workflow ${r.workflowId})`];
  if (step?.startedAt && step.state === 'holding') {
    const held = now - Date.parse(step.startedAt);
    lines.push(
      `  in hold for ${minutes(held)}${step.holdMs === null ? ', waiting for approval' : ` of ${minutes(step.holdMs)}`}`,
    );
  }
  lines.push(
    '  steps:',
    ...r.steps.map(
      (s, i) =>
        `    ${i + 1}. ${stepLabel(s).padEnd(6)} ${s.state.padEnd(8)} ${s.verdicts.length ? s.verdicts.join(' ') : ''}`,
    ),
  );
  if (r.analyses.length) {
    lines.push('  last analyses:');
    for (const a of r.analyses) {
      lines.push(
        `    ${formatTime(a.at)}  step ${a.stepIndex + 1}  ${a.verdict.padEnd(12)} ${a.canaryRequests} canary / ${a.baselineRequests} baseline${a.error ? `  (${a.error})` : ''}`,
      );
      for (const m of a.notable) lines.push(`      ${formatMetric(m)}`);
    }
  }
  const decision = r.decisions.at(-1);
  if (decision)
    lines.push(`  last decision: ${decision.kind} by ${decision.by}${decision.reason ? `: ${decision.reason}` : ''}`);
  if (r.stage === 'awaiting-approval')
    lines.push(
      `Next: \`flightdeck rollout approve ${r.prompt}\` or \`flightdeck rollout abort ${r.prompt} --reason …\`.`,
    );
  if (r.stage === 'paused')
    lines.push(
      `Next: \`flightdeck rollout resume ${r.prompt}\` or \`flightdeck rollout abort ${r.prompt} --reason …\`.`,
    );
  return lines;
}

function formatView(view: ReleaseView): string {
  return [
    ...(view.orphanedRoute ? [`WARNING: ${view.orphanedRoute}`] : []),
    ...(view.promotion ? formatPromotion(view.promotion) : []),
    ...(view.rollout ? formatRollout(view.rollout) : []),
  ].join('\n');
}

const decision = (reason?: string) => ({ actor: currentActor(), reason });

export function registerReleaseCommands(program: Command): void {
  promoteCommand(program);

  const rollout = program
    .command('rollout')
    .description('The live release of a prompt: status and decisions (signals and updates to rollout/<name>)');
  rolloutStatusCommand(rollout);
  for (const action of ['pause', 'resume'] as const) {
    rollout
      .command(action)
      .description(
        action === 'pause'
          ? 'Hold the canary where it is: no analysis, no step, until resumed'
          : 'Continue a paused canary (the inconclusive count starts again)',
      )
      .argument('<name>', 'prompt name')
      .option('--reason <text>', 'why, for the audit trail')
      .option('--json', 'machine-readable output')
      .action(async (name: string, opts: { reason?: string; json?: boolean }) => {
        const status = await temporal().withTemporalClient(loadEnv(), (client) =>
          control().pauseOrResume(client, name, action, decision(opts.reason)),
        );
        emit(opts.json, status, () => formatRollout(status).join('\n'));
      });
  }
  rolloutApproveCommand(rollout);
  rolloutPromoteCommand(rollout);
  rolloutAbortCommand(rollout);
}

function promoteCommand(program: Command): void {
  program
    .command('promote')
    .description(
      'Release a registered version: eval gate, then the canary (workflow promotion/<name>/<version>, then rollout/<name>)',
    )
    .argument('<ref>', '<name>@<version>')
    .option('--dataset <file>', 'the dataset the gate runs')
    .option('--skip-eval', 'emergency fix: no eval gate, straight to the canary (needs --reason; audited)')
    .option('--reason <text>', 'why, for the audit trail')
    .option(
      '--steps <list>',
      'canary steps, e.g. "shadow:10m,1:10m,5:30m,50:approve,100" (default: the prompt file\'s rollout.steps, else 1,5,25,50,100%)',
    )
    .option('--interval <duration>', 'analysis interval during holds, e.g. 30s or 1m (default 1m)')
    .option('--judge-samples <n>', 'live answers per side the judge scores each interval (0: off)', '10')
    .option('--shadow-sample <percent>', 'share of requests a shadow step mirrors', '10')
    .option('--failure-limit <n>', 'failed analyses in a step that abort the rollout', '1')
    .option(
      '--inconclusive-limit <n>',
      'inconclusive analyses in a row beyond which the rollout pauses for a human',
      '3',
    )
    .option('--judge <model>', 'judge model', DEFAULT_JUDGE_MODEL)
    .option('--repeat <n>', 'judge samples per output', '1')
    .option('--concurrency <n>', 'cases in flight per chunk', String(DEFAULT_EVAL_CONCURRENCY))
    .option('--force-judge', 'allow an uncalibrated judge to gate')
    .option('--json', 'machine-readable output')
    .action(
      async (
        text: string,
        opts: {
          dataset?: string;
          skipEval?: boolean;
          reason?: string;
          steps?: string;
          interval?: string;
          judgeSamples: string;
          shadowSample: string;
          failureLimit: string;
          inconclusiveLimit: string;
          judge: string;
          repeat: string;
          concurrency: string;
          forceJudge?: boolean;
          json?: boolean;
        },
      ) => {
        const dataset = opts.dataset === undefined ? undefined : loadDataset(opts.dataset);
        const request = {
          ref: parsePromptReference(text),
          dataset,
          skipEval: opts.skipEval,
          reason: opts.reason,
          steps: opts.steps,
          interval: opts.interval,
          judgeSamples: wholeNumber('--judge-samples', opts.judgeSamples, 0),
          shadowPercent: Number(opts.shadowSample),
          failureLimit: positiveInt('--failure-limit', opts.failureLimit),
          inconclusiveLimit: wholeNumber('--inconclusive-limit', opts.inconclusiveLimit, 0),
          judgeModel: opts.judge,
          repeat: positiveInt('--repeat', opts.repeat),
          concurrency: positiveInt('--concurrency', opts.concurrency),
          forceJudge: opts.forceJudge,
          actor: currentActor(),
        };
        const { preparePromotion, startPromotion } = promotions();
        const input = await withDatabase((db) => preparePromotion(db.pool, request));
        const started = await temporal().withTemporalClient(loadEnv(), (client) =>
          withDatabase((db) => startPromotion(client, db.pool, input, dataset)),
        );
        const result = {
          ...started,
          prompt: input.prompt,
          version: input.version,
          datasetHash: input.datasetHash ?? null,
          skipEval: input.skipEval === true,
          steps: input.rollout.steps,
        };
        emit(
          opts.json,
          result,
          () =>
            `Started ${started.workflowId}${input.skipEval ? ' (eval gate skipped, audited)' : ''}. ${input.skipEval ? 'The canary' : 'After the gate, the canary'} rollout/${input.prompt} ramps ${describeSteps(input.rollout.steps)}. Follow it with \`flightdeck rollout status ${input.prompt}\` or in the Temporal UI.`,
        );
      },
    );
}

function rolloutStatusCommand(rollout: Command): void {
  rollout
    .command('status')
    .description("Stage, weight, time in hold, steps and the last verdicts of the prompt's latest release")
    .argument('<name>', 'prompt name')
    .option('--json', 'machine-readable output ({promotion, rollout} as the workflows report them)')
    .action(async (name: string, opts: { json?: boolean }) => {
      const view = await temporal().withTemporalClient(loadEnv(), (client) =>
        withDatabase((db) => control().releaseStatus(client, db.pool, name)),
      );
      emit(opts.json, view, () => formatView(view));
    });
}

function rolloutApproveCommand(rollout: Command): void {
  rollout
    .command('approve')
    .description('Approve a canary step that waits for a human (hold "approve"); it advances once its analysis passes')
    .argument('<name>', 'prompt name')
    .option('--reason <text>', 'why, for the audit trail')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { reason?: string; json?: boolean }) => {
      const status = await temporal().withTemporalClient(loadEnv(), (client) =>
        control().approveStep(client, name, decision(opts.reason)),
      );
      emit(opts.json, status, () => formatRollout(status).join('\n'));
    });
}

function rolloutPromoteCommand(rollout: Command): void {
  rollout
    .command('promote')
    .description('Skip to the next canary step now, or with --full make the candidate production now (audited)')
    .argument('<name>', 'prompt name')
    .option('--full', 'finish now: production moves to the candidate')
    .requiredOption('--reason <text>', 'why, for the audit trail')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { full?: boolean; reason: string; json?: boolean }) => {
      const status = await temporal().withTemporalClient(loadEnv(), (client) =>
        control().skipStepOrFinishNow(client, name, opts.full === true, decision(opts.reason)),
      );
      emit(opts.json, status, () => formatRollout(status).join('\n'));
    });
}

function rolloutAbortCommand(rollout: Command): void {
  rollout
    .command('abort')
    .description(
      'Stop the release: a live canary goes 100% back to stable (the candidate stays registered); an eval in progress is cancelled',
    )
    .argument('<name>', 'prompt name')
    .requiredOption('--reason <text>', 'why, for the audit trail and on-call')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { reason: string; json?: boolean }) => {
      const view = await temporal().withTemporalClient(loadEnv(), (client) =>
        withDatabase((db) => control().abortRelease(client, db.pool, name, decision(opts.reason))),
      );
      emit(opts.json, view, () => formatView(view));
    });
}
