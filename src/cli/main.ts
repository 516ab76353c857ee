import { Command, CommanderError } from 'commander';
import { FlightdeckError } from '../errors';
import { version } from '../../package.json';
import { registerCanaryCommands } from './commands/canaries';
import { registerConsoleCommand } from './commands/console';
import { registerCostCommands } from './commands/cost';
import { registerEvalCommands } from './commands/eval';
import { registerExperimentCommands } from './commands/experiment';
import { registerGatewayCommand } from './commands/gateway';
import { registerGuardrailCommands } from './commands/guardrails';
import { registerDrillCommands } from './commands/drill';
import { registerIncidentCommands } from './commands/incident';
import { registerMonitoringCommands } from './commands/monitoring';
import { registerTenantCommands } from './commands/tenant';
import { registerPromptCommands } from './commands/prompt';
import { registerProbeCommands } from './commands/probes';
import { registerReleaseCommands } from './commands/release';
import { registerRouteCommands } from './commands/route';
import { registerScheduleCommands } from './commands/schedules';
import { registerMigrateCommand, registerRollbackCommand } from './commands/registryOps';
import { registerReplayCommand } from './commands/replay';
import { registerServiceCommands } from './commands/services';

export function buildProgram(): Command {
  const program = new Command('flightdeck')
    .description('Flightdeck: prompts and model choices as deployable artifacts, run by durable Temporal workflows')
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerServiceCommands(program);
  registerGatewayCommand(program);
  registerTenantCommands(program);
  registerRouteCommands(program);
  registerCostCommands(program);
  registerMonitoringCommands(program);
  registerIncidentCommands(program);
  registerDrillCommands(program);
  registerProbeCommands(program);
  registerCanaryCommands(program);
  registerReplayCommand(program);
  registerGuardrailCommands(program);
  registerConsoleCommand(program);
  registerMigrateCommand(program);
  registerPromptCommands(program);
  registerRollbackCommand(program);
  registerEvalCommands(program);
  registerReleaseCommands(program);
  registerExperimentCommands(program);
  registerScheduleCommands(program);
  for (const command of program.commands) command.exitOverride();
  for (const command of program.commands.flatMap((c) => c.commands)) command.exitOverride();
  return program;
}

/** Exit codes of DESIGN §3: 0 ok, 1 failure, 2 bad usage or input, 3 eval gate failed. */
export async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
        ? 0
        : 2;
    }
    if (error instanceof FlightdeckError) {
      process.stderr.write(`error: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`error: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
