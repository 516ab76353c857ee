import { lazy } from '../../util/lazy';
import type { Command } from 'commander';
import { loadEnv } from '../../config/env';
import { emit, table } from '../output';

// Loaded on first use: the Temporal SDK and the services take most of a second to load.
const temporal = lazy(() => require('../../temporal/connection') as typeof import('../../temporal/connection'));
const schedules = lazy(() => require('../../temporal/schedules') as typeof import('../../temporal/schedules'));

export function registerScheduleCommands(program: Command): void {
  const command = program.command('schedules').description('The periodic jobs, as Temporal schedules');
  command
    .command('install')
    .description('Create or update every Flightdeck schedule (idempotent)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const installed = await temporal().withTemporalClient(loadEnv(), (client) =>
        schedules().installSchedules(client),
      );
      emit(
        opts.json,
        installed,
        () =>
          `${installed.map((s) => `${s.id}: ${s.outcome}`).join('\n')}\nSee them with \`flightdeck schedules list\` or under Schedules in the Temporal UI.`,
      );
    });
  command
    .command('list')
    .description('Each schedule: installed or not, paused, next runs')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const states = await temporal().withTemporalClient(loadEnv(), (client) => schedules().describeSchedules(client));
      emit(opts.json, states, () =>
        table(
          ['SCHEDULE', 'INSTALLED', 'PAUSED', 'NEXT RUN', 'RECENT RUNS'],
          states.map((s) => [
            s.id,
            s.installed ? 'yes' : 'no (run `flightdeck schedules install`)',
            s.paused ? 'yes' : 'no',
            s.nextRuns[0],
            s.recentRuns,
          ]),
        ),
      );
    });
}
