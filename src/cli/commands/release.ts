import type { Command } from 'commander';
import { currentActor, loadEnv } from '../../config/env';
import { InputError } from '../../errors';
import { loadDataset } from '../../evals/dataset';
import { DEFAULT_EVAL_CONCURRENCY, DEFAULT_JUDGE_MODEL } from '../../evals/defaults';
import { parsePromptReference } from '../../registry/reference';
import type { PromotionStatus } from '../../release/promotionStatus';
import { latestRelease } from '../../release/releaseStore';
import { withDatabase } from '../context';
import { positiveInt } from '../options';
import { emit, formatTime } from '../output';

// The Temporal client is required lazily: it takes most of a second to load.
const temporal = () => require('../../temporal/connection') as typeof import('../../temporal/connection');
const messages = () => require('../../../workflows/promotionMessages') as typeof import('../../../workflows/promotionMessages');

function formatStatus(s: PromotionStatus): string {
  const lines = [
    `${s.prompt}@${s.version}: ${s.stage}   (workflow ${s.workflowId})`,
    `baseline ${s.baselineVersion ?? '–'}, dataset ${s.datasetHash.slice(0, 12)}${s.passRate !== undefined ? `, pass rate ${(s.passRate * 100).toFixed(1)}%` : ''}`,
  ];
  if (s.gate) {
    lines.push(`gate: ${s.gate.passed ? 'passed' : 'FAILED'}`);
    for (const c of s.gate.checks) lines.push(`  ${c.passed ? 'ok  ' : 'FAIL'} ${c.metric} ${c.kind === 'floor' ? `>= ${c.limit}` : `change >= ${c.limit}`}: ${c.actual.toFixed(3)}`);
  }
  lines.push('history:', ...s.history.map((h) => `  ${formatTime(h.at)}  ${h.stage}${h.note ? `  (${h.note})` : ''}`));
  if (s.stage === 'awaiting-approval') lines.push(`Next: \`flightdeck rollout approve ${s.prompt}\`, or \`rollout reject\` / \`rollout abort\`.`);
  return lines.join('\n');
}

/** Status of the prompt's latest promotion: the live query, or the result once it has finished. */
async function promotionStatus(prompt: string): Promise<PromotionStatus> {
  const release = await withDatabase((db) => latestRelease(db.pool, prompt));
  return temporal().withTemporalClient(loadEnv(), async (client) => {
    const handle = client.workflow.getHandle(release.workflowId);
    const { status } = await handle.describe();
    return status.name === 'RUNNING' ? handle.query(messages().statusQuery) : handle.result();
  });
}

async function signalPromotion(prompt: string, signal: 'approve' | 'reject' | 'cancel', reason?: string): Promise<PromotionStatus> {
  const release = await withDatabase((db) => latestRelease(db.pool, prompt));
  return temporal().withTemporalClient(loadEnv(), async (client) => {
    const handle = client.workflow.getHandle(release.workflowId);
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') throw new InputError(`The latest release of ${prompt} (${release.workflowId}) has already ended (${description.status.name.toLowerCase()}); nothing to ${signal}.`);
    const current = await handle.query(messages().statusQuery);
    if (current.stage !== 'awaiting-approval') throw new InputError(`${prompt}@${current.version} is ${current.stage}, not awaiting approval; wait for the eval (\`flightdeck rollout status ${prompt}\`).`);
    const m = messages();
    await handle.signal(signal === 'approve' ? m.approveSignal : signal === 'reject' ? m.rejectSignal : m.cancelSignal, { actor: currentActor(), reason });
    return handle.result();
  });
}

export function registerReleaseCommands(program: Command): void {
  program
    .command('promote')
    .description('Start the eval-gated promotion of a registered version (workflow promotion/<name>/<version>)')
    .argument('<ref>', '<name>@<version>')
    .requiredOption('--dataset <file>', 'the dataset the gate runs')
    .option('--judge <model>', 'judge model', DEFAULT_JUDGE_MODEL)
    .option('--repeat <n>', 'judge samples per output', '1')
    .option('--concurrency <n>', 'cases in flight per chunk', String(DEFAULT_EVAL_CONCURRENCY))
    .option('--force-judge', 'allow an uncalibrated judge to gate')
    .option('--json', 'machine-readable output')
    .action(async (text: string, opts: { dataset: string; judge: string; repeat: string; concurrency: string; forceJudge?: boolean; json?: boolean }) => {
      const dataset = loadDataset(opts.dataset);
      const request = {
        ref: parsePromptReference(text),
        dataset,
        judgeModel: opts.judge,
        repeat: positiveInt('--repeat', opts.repeat),
        concurrency: positiveInt('--concurrency', opts.concurrency),
        forceJudge: opts.forceJudge,
        actor: currentActor(),
      };
      const { preparePromotion, startPromotion } = require('../../release/startPromotion') as typeof import('../../release/startPromotion');
      const input = await withDatabase((db) => preparePromotion(db.pool, request));
      const started = await temporal().withTemporalClient(loadEnv(), (client) => withDatabase((db) => startPromotion(client, db.pool, input, dataset)));
      const result = { ...started, prompt: input.prompt, version: input.version, datasetHash: dataset.hash };
      emit(opts.json, result, () => `Started ${started.workflowId}. Follow it with \`flightdeck rollout status ${input.prompt}\` or in the Temporal UI; approve with \`flightdeck rollout approve ${input.prompt}\` once the gate passes.`);
    });

  const rollout = program.command('rollout').description('The live release of a prompt: status and decisions');
  rollout
    .command('status')
    .description('Stage, gate numbers and history of the prompt\'s latest release')
    .argument('<name>', 'prompt name')
    .option('--json', 'machine-readable output (the workflow\'s status query)')
    .action(async (name: string, opts: { json?: boolean }) => {
      const status = await promotionStatus(name);
      emit(opts.json, status, () => formatStatus(status));
    });
  for (const [verb, signal, description] of [
    ['approve', 'approve', 'Approve the release waiting for a human: production moves to the candidate'],
    ['reject', 'reject', 'Reject the candidate waiting for approval: it is marked rejected'],
    ['abort', 'cancel', 'Cancel the release waiting for approval; production stays where it is'],
  ] as const) {
    rollout
      .command(verb)
      .description(description)
      .argument('<name>', 'prompt name')
      .option('--reason <text>', 'why, for the audit trail')
      .option('--json', 'machine-readable output')
      .action(async (name: string, opts: { reason?: string; json?: boolean }) => {
        const status = await signalPromotion(name, signal, opts.reason);
        emit(opts.json, status, () => formatStatus(status));
      });
  }
}
