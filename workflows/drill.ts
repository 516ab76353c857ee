import {
  ActivityFailure,
  CancellationScope,
  isCancellation,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import { checksPassed } from '../src/model/drillReport';
import { normaliseSignalAttribution, type Attribution } from '../src/model/attribution';
import { parseDrillInput, type DrillInput, type DrillView } from '../src/model/drill';
import { FlightdeckDrillKind } from '../src/model/searchAttributes';
import { abortDrillSignal, drillStatusQuery } from './drillMessages';
import { DrillRun, DrillStopped } from './drillRun';
import { promptRollbackDrill } from './promptRollbackDrill';
import { parseStartInput } from './startInput';
import { providerKillDrill } from './providerKillDrill';

/**
 * A kill drill (`drill/<kind>/<id>`): the kind's steps run in a cancellable scope, which `abort`
 * (or a stop condition) ends; whatever ended it, the finally path reverts every fault the drill
 * injected and resolves what it started, in a scope nothing cancels, and the report is stored.
 */
export async function drillWorkflow(raw: DrillInput): Promise<DrillView> {
  const input = parseStartInput(parseDrillInput, raw);
  const run = new DrillRun(input);
  upsertSearchAttributes([{ key: FlightdeckDrillKind, value: input.kind }]);
  setHandler(drillStatusQuery, () => run.view);
  const body = new CancellationScope();
  let aborted: Attribution | undefined;
  setHandler(abortDrillSignal, (payload) => {
    // A stop is honoured whatever its payload says: the payload only names who asked.
    aborted ??= normaliseSignalAttribution(payload) ?? { actor: 'unknown' };
    body.cancel();
  });
  let ending: { status: DrillView['status']; summary: string };
  try {
    await run.step('prepare'); // its report exists from the start: `drill abort` finds it there
    await body.run(() =>
      input.kind === 'provider-kill' ? providerKillDrill(run, input) : promptRollbackDrill(run, input),
    );
    const passed = checksPassed(run.view.checks);
    ending = {
      status: passed ? 'passed' : 'failed',
      summary: input.dryRun
        ? 'dry run: the drill could run now; nothing was injected'
        : passed
          ? 'every check passed'
          : 'a check failed',
    };
  } catch (error) {
    if (aborted && isCancellation(error)) {
      run.view.abortedBy = aborted.actor;
      ending = {
        status: 'aborted',
        summary: `aborted by ${aborted.actor}${aborted.reason ? `: ${aborted.reason}` : ''}`,
      };
    } else if (error instanceof DrillStopped) ending = { status: 'aborted', summary: `stopped: ${error.reason}` };
    else ending = { status: 'failed', summary: `a step failed: ${failureMessage(error)}` };
  }
  await CancellationScope.nonCancellable(async () => {
    await run.step('revert');
    await run.cleanup();
  });
  return run.finish(ending.status, ending.summary);
}

/** An activity's own message (the InputError that named what was wrong), not "Activity task failed". */
const failureMessage = (error: unknown): string =>
  error instanceof ActivityFailure && error.cause ? error.cause.message : (error as Error).message;
