import type { Command } from 'commander';
import { currentActor, loadEnv } from '../../config/env';
import { checkLines } from '../../model/drillReport';
import { listDrillRuns, type DrillRun } from '../../drills/drillRuns';
import { FlightdeckError, InputError } from '../../errors';
import { DEFAULT_DRILL_TENANT, DRILL_KINDS, parseDrillKind, type DrillInput, type DrillView } from '../../model/drill';
import { lazy } from '../../util/lazy';
import { withDatabase } from '../context';
import { emit, formatTime, table } from '../output';
import { positiveInt } from '../options';

const temporal = lazy(() => require('../../temporal/connection') as typeof import('../../temporal/connection'));
const control = lazy(() => require('../../control/drillControl') as typeof import('../../control/drillControl'));

interface RunOptions {
  id?: string;
  tenant: string;
  model?: string;
  prompt?: string;
  dryRun?: boolean;
  wait: boolean;
  json?: boolean;
  mitigateWithin?: string;
  recoverWithin?: string;
}

/** A drill's id: the time it was started, to the second (a retried start within the second is refused). */
const defaultId = () => new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');

function drillInput(kind: string, opts: RunOptions): DrillInput {
  const common = {
    id: opts.id ?? defaultId(),
    tenant: opts.tenant,
    dryRun: Boolean(opts.dryRun),
    actor: currentActor(),
  };
  const parsed = parseDrillKind(kind);
  if (parsed === 'provider-kill') {
    if (opts.prompt) throw new InputError('--prompt is for the prompt-rollback drill');
    return {
      kind: parsed,
      ...common,
      model: opts.model,
      requestsPerSecond: 5,
      detectWithinSeconds: 120,
      mitigateWithinSeconds: opts.mitigateWithin ? positiveInt('--mitigate-within', opts.mitigateWithin) : 180,
      recoverWithinSeconds: opts.recoverWithin ? positiveInt('--recover-within', opts.recoverWithin) : 900,
    };
  }
  if (opts.mitigateWithin || opts.recoverWithin)
    throw new InputError('--mitigate-within and --recover-within are for the provider-kill drill');
  return {
    kind: parsed,
    ...common,
    prompt: opts.prompt ?? 'flightdeck-drill',
    model: opts.model ?? 'gpt-4o-mini-2024-07-18',
    withinSeconds: 10,
  };
}

const describeRun = (v: Pick<DrillView, 'workflowId' | 'status' | 'summary' | 'checks'>) =>
  [
    `${v.workflowId}: ${v.status}${v.summary ? ` - ${v.summary}` : ''}`,
    ...checkLines(v.checks).map((l) => `  ${l}`),
  ].join('\n');

export function registerDrillCommands(program: Command): void {
  const drill = program
    .command('drill')
    .description(
      'Kill drills on a synthetic tenant: prove the outage playbook and the rollback path work before a real outage does',
    );

  drill
    .command('run')
    .description(`Run a drill now (${DRILL_KINDS.join(', ')}) and print each check with its timing`)
    .argument('<kind>', DRILL_KINDS.join(' | '))
    .option(
      '--tenant <id>',
      'the synthetic tenant (created as synthetic on first use; a real tenant is refused)',
      DEFAULT_DRILL_TENANT,
    )
    .option(
      '--model <id>',
      "provider-kill: the model to switch off (default: the first with a backup in the monitors file); prompt-rollback: the drill prompt's model",
    )
    .option('--prompt <name>', 'prompt-rollback: the synthetic prompt to push versions of', undefined)
    .option('--id <id>', 'the drill id (default: the start time), so the workflow is drill/<kind>/<id>')
    .option('--dry-run', 'check the stop conditions and the preconditions only; inject nothing')
    .option('--mitigate-within <s>', 'provider-kill: seconds from the fault to the mitigation (default 180)')
    .option(
      '--recover-within <s>',
      'provider-kill: seconds from lifting the fault to the playbook closing (default 900)',
    )
    .option('--no-wait', 'start it and print its workflow id; follow it with `flightdeck drill report`')
    .option('--json', 'machine-readable output')
    .action(async (kind: string, opts: RunOptions) => {
      const input = drillInput(kind, opts);
      const env = loadEnv();
      const view = await withDatabase((db) =>
        temporal().withTemporalClient(env, async (client) => {
          const workflowId = await control().startDrill(client, db.pool, input);
          if (!opts.wait) return { workflowId, status: 'running' as const, checks: [] };
          process.stderr.write(`Started ${workflowId}; stop it with \`flightdeck drill abort\`.\n`);
          const handle = client.workflow.getHandle(workflowId);
          let printed = 0;
          const follow = setInterval(() => {
            void handle
              .query<DrillView>('status')
              .then((v) => {
                for (const line of checkLines(v.checks.slice(printed))) process.stderr.write(`  ${line}\n`);
                printed = v.checks.length;
              })
              .catch(() => undefined);
          }, 1000);
          try {
            return (await handle.result()) as DrillView;
          } finally {
            clearInterval(follow);
          }
        }),
      );
      emit(opts.json, view, () => describeRun(view));
      if (view.status === 'failed' || view.status === 'aborted')
        throw new FlightdeckError(`Drill ${view.workflowId} ${view.status}; its report: \`flightdeck drill report\``);
    });

  drill
    .command('abort')
    .description(
      'Stop every running drill: its faults are reverted at once, its playbook resolved, its report marked aborted',
    )
    .option('--reason <text>', 'why, for the audit trail and the reports')
    .option('--json', 'machine-readable output')
    .action(async (opts: { reason?: string; json?: boolean }) => {
      const env = loadEnv();
      const result = await withDatabase((db) =>
        temporal().withTemporalClient(env, (client) =>
          control().abortDrills(client, db.pool, { actor: currentActor(env), reason: opts.reason }),
        ),
      );
      emit(opts.json, result, () =>
        result.drills.length || result.faultsReverted
          ? `Reverted ${result.faultsReverted} fault(s); told ${result.drills.length} drill(s) to abort: ${result.drills.join(', ') || '-'}.\nSee \`flightdeck drill report\`.`
          : 'No drill is running; nothing to abort.',
      );
    });

  drill
    .command('report')
    .description('The latest drills: each check, pass or fail, with its timing')
    .option('--kind <kind>', DRILL_KINDS.join(' | '))
    .option('--limit <n>', 'how many drills', '5')
    .option('--json', 'machine-readable output')
    .action(async (opts: { kind?: string; limit: string; json?: boolean }) => {
      const kind = opts.kind === undefined ? undefined : parseDrillKind(opts.kind);
      const limit = positiveInt('--limit', opts.limit);
      const runs = await withDatabase((db) => listDrillRuns(db.pool, { kind, limit }));
      emit(opts.json, runs, () =>
        runs.length
          ? [
              table(
                ['DRILL', 'STATUS', 'STARTED', 'ENDED', 'TENANT'],
                runs.map((r: DrillRun) => [
                  r.workflowId,
                  `${r.status}${r.dryRun ? ' (dry run)' : ''}`,
                  formatTime(r.startedAt),
                  r.endedAt ? formatTime(r.endedAt) : null,
                  r.tenant,
                ]),
              ),
              '',
              ...runs.map((r) => describeRun({ ...r, summary: r.summary ?? undefined })),
            ].join('\n')
          : 'No drills yet: run `flightdeck drill run provider-kill --dry-run` to see whether one could run.',
      );
    });
}
