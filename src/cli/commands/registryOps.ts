import type { Command } from 'commander';
import { currentActor } from '../../config/env';
import { migrate } from '../../db/migrate';
import { rollbackProduction } from '../../registry/labels';
import { withDatabase } from '../context';
import { emit } from '../output';

export function registerRollbackCommand(program: Command): void {
  program
    .command('rollback')
    .description('Move production back to the previous production version (or --to a version), in one step')
    .argument('<name>', 'prompt name')
    .option('--to <version>', 'roll back to this version instead of the previous one')
    .requiredOption('--reason <text>', 'why, for the audit trail and on-call')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { to?: string; reason: string; json?: boolean }) => {
      const result = await withDatabase((db) => rollbackProduction(db.pool, { name, to: opts.to, reason: opts.reason, actor: currentActor() }));
      emit(opts.json, result, () =>
        result.changed ? `${name}: production ${result.from} -> ${result.to} (rolled back)` : `${name}: production already at ${result.to}; nothing to do`,
      );
    });
}

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('Apply pending database migrations (safe to run twice, and from two processes at once)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const result = await withDatabase(async (db) => ({ database: db.source, applied: await migrate(db.pool) }), { migrate: false });
      emit(opts.json, result, () =>
        result.applied.length ? `Applied ${result.applied.join(', ')} to the ${result.database} database.` : `The ${result.database} database is up to date; nothing to apply.`,
      );
    });
}
