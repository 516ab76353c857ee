import { lazy } from '../../util/lazy';
import type { Command } from 'commander';
import { currentActor, loadEnv } from '../../config/env';
import { migrate } from '../../db/migrate';
import { rollbackProduction } from '../../registry/labels';
import { hasLiveCandidate } from '../../routing/routeStore';
import { withDatabase } from '../context';
import { emit } from '../output';

// Loaded on first use: the Temporal SDK and the services take most of a second to load.
const temporal = lazy(() => require('../../temporal/connection') as typeof import('../../temporal/connection'));
const control = lazy(() => require('../../control/rolloutControl') as typeof import('../../control/rolloutControl'));

export function registerRollbackCommand(program: Command): void {
  program
    .command('rollback')
    .description(
      'Roll back in one step: a live canary goes 100% back to stable; otherwise production moves to the previous version (or --to)',
    )
    .argument('<name>', 'prompt name')
    .option('--to <version>', 'roll back to this version instead of the previous one')
    .requiredOption('--reason <text>', 'why, for the audit trail and on-call')
    .option('--json', 'machine-readable output')
    .action(async (name: string, opts: { to?: string; reason: string; json?: boolean }) => {
      const actor = currentActor();
      const canary = opts.to === undefined && (await withDatabase((db) => hasLiveCandidate(db.pool, name)));
      if (canary) {
        // Only a live canary needs Temporal: the rollout records the rollback and ends. When the
        // rollout is gone, stuck or unreachable, the route is written here instead (audited).
        const { connectClient } = temporal();
        const { rollbackCandidate } = control();
        const env = loadEnv();
        let connection: { close(): Promise<void> } | undefined;
        const result = await withDatabase((db) =>
          rollbackCandidate(
            async () => {
              const opened = await connectClient(env);
              connection = opened;
              return opened.client;
            },
            db.pool,
            name,
            { actor, reason: opts.reason },
          ),
        ).finally(() => connection?.close());
        emit(opts.json, result, () =>
          result.kind === 'canary-aborted'
            ? `${name}: canary of ${result.rollout.version} aborted; 100% on ${result.rollout.baselineVersion} (production unchanged)`
            : `${name}: candidate route cleared directly (${result.why}); 100% on production. The audit log records it as forced.`,
        );
        return;
      }
      const result = await withDatabase((db) =>
        rollbackProduction(db.pool, { name, to: opts.to, reason: opts.reason, actor }),
      );
      emit(opts.json, { kind: 'label-moved', ...result }, () =>
        result.changed
          ? `${name}: production ${result.from} -> ${result.to} (rolled back)`
          : `${name}: production already at ${result.to}; nothing to do`,
      );
    });
}

export function registerMigrateCommand(program: Command): void {
  program
    .command('migrate')
    .description('Apply pending database migrations (safe to run twice, and from two processes at once)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const result = await withDatabase(async (db) => ({ database: db.source, applied: await migrate(db.pool) }), {
        migrate: false,
      });
      emit(opts.json, result, () =>
        result.applied.length
          ? `Applied ${result.applied.join(', ')} to the ${result.database} database.`
          : `The ${result.database} database is up to date; nothing to apply.`,
      );
    });
}
