import type { Command } from 'commander';
import { currentActor, loadEnv } from '../../config/env';
import { loadProviderConfig } from '../../providers/config';
import { clearRouteOverride, loadRouteOverrides, setRouteOverride } from '../../routing/routeOverrides';
import { withDatabase } from '../context';
import { emit, formatTime, table } from '../output';

/**
 * Gateway-wide route overrides: on-call's lever in a provider outage (the provider-outage playbook
 * pulls the same one). Every gateway applies a change within a second (NOTIFY).
 */
export function registerRouteCommands(program: Command): void {
  const route = program.command('route').description("Gateway-wide route overrides (a provider outage's mitigation)");

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
    .command('list')
    .description('The overrides in force')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const overrides = [...(await withDatabase((db) => loadRouteOverrides(db.pool))).values()];
      emit(opts.json, overrides, () =>
        overrides.length
          ? table(
              ['MODEL', 'BACKUP FIRST', 'SINCE', 'BY', 'REASON'],
              overrides.map((o) => [o.model, o.backup, formatTime(o.createdAt), o.createdBy, o.reason]),
            )
          : 'No route overrides: every model goes to itself first.',
      );
    });
}
