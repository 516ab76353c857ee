import type { Command } from 'commander';
import { currentActor, loadEnv } from '../../config/env';
import { loadProviderConfig } from '../../providers/config';
import { clearOutputCap, loadOutputCaps, setOutputCap } from '../../routing/outputCaps';
import { clearRouteOverride, loadRouteOverrides, setRouteOverride } from '../../routing/routeOverrides';
import { positiveInt } from '../options';
import { withDatabase } from '../context';
import { emit, formatTime, table } from '../output';

/**
 * Gateway-wide route overrides: on-call's lever in a provider outage (the provider-outage playbook
 * pulls the same one). Every gateway applies a change within a second (NOTIFY).
 */
export function registerRouteCommands(program: Command): void {
  const route = program
    .command('route')
    .description(
      "Gateway-wide route overrides and output caps (a provider outage's and a latency spike's mitigations)",
    );

  route
    .command('override')
    .description('Send every call of a model to a backup first, on every gateway (the model itself is tried last)')
    .argument('<model>', 'the model whose calls move, e.g. gpt-4o-mini-2024-07-18')
    .requiredOption('--backup <model>', 'where they go first (a model a provider serves, or provider/model)')
    .requiredOption('--reason <text>', 'why, for the audit trail')
    .option('--json', 'machine-readable output')
    .action(async (model: string, opts: { backup: string; reason: string; json?: boolean }) => {
      const config = loadProviderConfig(loadEnv());
      const { previous, override } = await withDatabase((db) =>
        setRouteOverride(db.pool, { model, backup: opts.backup, reason: opts.reason, actor: currentActor() }, config),
      );
      emit(opts.json, { previous, override }, () =>
        previous?.backup === override.backup
          ? `${model} already goes to ${override.backup} first; nothing to do.`
          : `${model} -> ${override.backup} first on every gateway (within a second; \`GET /readyz\` lists it). Undo: \`flightdeck route restore ${model} --reason "…"\`.`,
      );
    });

  route
    .command('restore')
    .description('End the override of a model: its calls go to it first again')
    .argument('<model>', 'the overridden model')
    .requiredOption('--reason <text>', 'why, for the audit trail')
    .option('--json', 'machine-readable output')
    .action(async (model: string, opts: { reason: string; json?: boolean }) => {
      const cleared = await withDatabase((db) =>
        clearRouteOverride(db.pool, { model, reason: opts.reason, actor: currentActor() }),
      );
      emit(opts.json, { model, cleared }, () =>
        cleared
          ? `${model} goes to itself first again (it went to ${cleared.backup} since ${formatTime(cleared.createdAt)}).`
          : `${model} has no override; nothing to do. See them with \`flightdeck route list\`.`,
      );
    });

  route
    .command('cap')
    .description("Cap the output tokens of every call of a model, on every gateway (a latency spike's mitigation)")
    .argument('<model>', 'the model whose answers are capped')
    .requiredOption('--max-tokens <n>', 'the most output tokens a call may ask for')
    .requiredOption('--reason <text>', 'why, for the audit trail')
    .option('--json', 'machine-readable output')
    .action(async (model: string, opts: { maxTokens: string; reason: string; json?: boolean }) => {
      const maxTokens = positiveInt('--max-tokens', opts.maxTokens);
      const { changed } = await withDatabase((db) =>
        setOutputCap(db.pool, { model, maxTokens, reason: opts.reason, actor: currentActor() }),
      );
      emit(opts.json, { model, maxTokens, changed }, () =>
        changed
          ? `${model}'s calls ask for at most ${maxTokens} output tokens on every gateway (within a second). Undo: \`flightdeck route uncap ${model} --reason "…"\`.`
          : `${model} is already capped at ${maxTokens} tokens; nothing to do.`,
      );
    });

  route
    .command('uncap')
    .description("Lift a model's output cap")
    .argument('<model>', 'the capped model')
    .requiredOption('--reason <text>', 'why, for the audit trail')
    .option('--json', 'machine-readable output')
    .action(async (model: string, opts: { reason: string; json?: boolean }) => {
      const { changed } = await withDatabase((db) =>
        clearOutputCap(db.pool, { model, reason: opts.reason, actor: currentActor() }),
      );
      emit(opts.json, { model, changed }, () =>
        changed ? `${model}'s calls ask for what they asked for again.` : `${model} has no cap; nothing to do.`,
      );
    });

  route
    .command('list')
    .description('The overrides in force')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const [overrides, caps] = await withDatabase(async (db) => [
        [...(await loadRouteOverrides(db.pool)).values()],
        [...(await loadOutputCaps(db.pool)).values()],
      ]);
      emit(opts.json, { overrides, caps }, () =>
        [
          overrides.length
            ? table(
                ['MODEL', 'TENANT', 'BACKUP FIRST', 'SINCE', 'BY', 'REASON'],
                overrides.map((o) => [
                  o.model,
                  o.tenant ?? 'all',
                  o.backup,
                  formatTime(o.createdAt),
                  o.createdBy,
                  o.reason,
                ]),
              )
            : 'No route overrides: every model goes to itself first.',
          ...(caps.length
            ? [
                '',
                table(
                  ['MODEL', 'MAX OUTPUT TOKENS', 'REASON'],
                  caps.map((c) => [c.model, c.maxTokens, c.reason]),
                ),
              ]
            : []),
        ].join('\n'),
      );
    });
}
