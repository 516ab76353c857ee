import type { Command } from 'commander';
import { currentActor, loadEnv } from '../../config/env';
import { InputError } from '../../errors';
import { judgeRefusal } from '../../evals/calibration';
import { needsJudge } from '../../evals/caseEvaluator';
import { loadDataset } from '../../evals/dataset';
import { DEFAULT_EVAL_CHUNK_SIZE, DEFAULT_EVAL_CONCURRENCY, DEFAULT_JUDGE_MODEL } from '../../evals/defaults';
import { assertKnownJudgeModel } from '../../evals/judge';
import { validateCases } from '../../evals/runner';
import { storeDataset } from '../../evals/runStore';
import { parsePromptReference } from '../../registry/reference';
import { resolvePrompt } from '../../registry/registry';
import type { PromotionStatus } from '../../release/promotionStatus';
import { latestRelease, recordRelease } from '../../release/releaseStore';
import { withDatabase } from '../context';
import { emit, formatTime } from '../output';
import type { PromotionInput } from '../../../workflows/promotion';

// The Temporal client is required lazily: it takes most of a second to load.
const temporal = () => require('../../temporal/connection') as typeof import('../../temporal/connection');
const messages = () => require('../../../workflows/promotionMessages') as typeof import('../../../workflows/promotionMessages');

function positiveInt(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`${name} must be a whole number of at least 1 (got "${text}")`);
  return n;
}

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
  const { client, close } = await temporal().connectClient(loadEnv());
  try {
    const handle = client.workflow.getHandle(release.workflowId);
    const { status } = await handle.describe();
    return status.name === 'RUNNING' ? await handle.query(messages().statusQuery) : await handle.result();
  } finally {
    await close();
  }
}

async function signalPromotion(prompt: string, signal: 'approve' | 'reject' | 'cancel', reason?: string): Promise<PromotionStatus> {
  const release = await withDatabase((db) => latestRelease(db.pool, prompt));
  const { client, close } = await temporal().connectClient(loadEnv());
  try {
    const handle = client.workflow.getHandle(release.workflowId);
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') throw new InputError(`The latest release of ${prompt} (${release.workflowId}) has already ended (${description.status.name.toLowerCase()}); nothing to ${signal}.`);
    const current = await handle.query(messages().statusQuery);
    if (current.stage !== 'awaiting-approval') throw new InputError(`${prompt}@${current.version} is ${current.stage}, not awaiting approval; wait for the eval (\`flightdeck rollout status ${prompt}\`).`);
    const m = messages();
    await handle.signal(signal === 'approve' ? m.approveSignal : signal === 'reject' ? m.rejectSignal : m.cancelSignal, { actor: currentActor(), reason });
    return await handle.result();
  } finally {
    await close();
  }
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
      const ref = parsePromptReference(text);
      const dataset = loadDataset(opts.dataset);
      const repeat = positiveInt('--repeat', opts.repeat);
      const concurrency = positiveInt('--concurrency', opts.concurrency);
      const actor = currentActor();
      const input: PromotionInput = await withDatabase(async (db) => {
        const candidate = await resolvePrompt(db.pool, ref.name, ref.ref);
        if (candidate.status === 'rejected') throw new InputError(`${candidate.name}@${candidate.version} was rejected; push a fixed version and promote that.`);
        const production = await resolvePrompt(db.pool, ref.name, 'production');
        if (production.version === candidate.version) throw new InputError(`${candidate.name}@${candidate.version} is already production; nothing to promote.`);
        validateCases(candidate, dataset);
        validateCases(production, dataset);
        if (needsJudge(dataset.cases)) {
          assertKnownJudgeModel(opts.judge);
          const refusal = opts.forceJudge ? undefined : await judgeRefusal(db.pool, opts.judge);
          if (refusal) throw new InputError(refusal);
        }
        await storeDataset(db.pool, dataset);
        return { prompt: candidate.name, version: candidate.version, datasetHash: dataset.hash, actor, judgeModel: opts.judge, repeat, concurrency, chunkSize: DEFAULT_EVAL_CHUNK_SIZE };
      });
      const env = loadEnv();
      const { client, close } = await temporal().connectClient(env);
      const workflowId = messages().promotionWorkflowId(input.prompt, input.version);
      try {
        const { WorkflowExecutionAlreadyStartedError } = require('@temporalio/client') as typeof import('@temporalio/client');
        const { FlightdeckPrompt, FlightdeckStage } = require('../../../workflows/searchAttributes') as typeof import('../../../workflows/searchAttributes');
        const handle = await client.workflow
          .start('promotionWorkflow', {
            taskQueue: temporal().TASK_QUEUE,
            workflowId,
            args: [input],
            staticSummary: `Promote ${input.prompt}@${input.version} (eval-gated, dataset ${dataset.name})`,
            staticDetails: `Started by ${actor}. Evaluates production and ${input.version} on ${dataset.cases.length} cases, then waits for \`flightdeck rollout approve ${input.prompt}\`.`,
            typedSearchAttributes: [
              { key: FlightdeckPrompt, value: input.prompt },
              { key: FlightdeckStage, value: 'starting' },
            ],
          })
          .catch((error: unknown) => {
            if (error instanceof WorkflowExecutionAlreadyStartedError) throw new InputError(`A promotion of ${input.prompt}@${input.version} is already running (${workflowId}); see \`flightdeck rollout status ${input.prompt}\`.`);
            throw error;
          });
        await withDatabase((db) => recordRelease(db.pool, { prompt: input.prompt, version: input.version, workflowId, kind: 'promotion', startedBy: actor }));
        const result = { workflowId, runId: handle.firstExecutionRunId, prompt: input.prompt, version: input.version, datasetHash: dataset.hash };
        emit(opts.json, result, () => `Started ${workflowId}. Follow it with \`flightdeck rollout status ${input.prompt}\` or in the Temporal UI; approve with \`flightdeck rollout approve ${input.prompt}\` once the gate passes.`);
      } finally {
        await close();
      }
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
