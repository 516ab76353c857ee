import { proxyActivities, setCurrentDetails, sleep, workflowInfo } from '@temporalio/workflow';
import type { DrillActivities } from '../activities/drills';
import { drillDetails } from '../src/model/drillReport';
import type { DrillCheck, DrillInput, DrillView } from '../src/model/drill';

const { drillStopReason, saveDrillReport, prepareDrill } = proxyActivities<DrillActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5, initialInterval: '1 second' },
});

/** A stop condition held (a real alert, a spent error budget): the drill ends as aborted. */
export class DrillStopped extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'DrillStopped';
  }
}

/**
 * What every drill shares: its view (query, UI details, stored report), its checks, the stop
 * conditions looked at before each step and while it waits, and the undo steps its finally runs.
 */
export class DrillRun {
  readonly view: DrillView;
  private readonly undo: Array<() => Promise<unknown>> = [];

  constructor(input: DrillInput) {
    this.view = {
      workflowId: workflowInfo().workflowId,
      kind: input.kind,
      tenant: input.tenant,
      dryRun: input.dryRun,
      status: 'running',
      step: 'prepare',
      checks: [],
    };
  }

  get workflowId(): string {
    return this.view.workflowId;
  }

  async step(name: string): Promise<void> {
    this.view.step = name;
    this.show();
    await saveDrillReport(this.view);
  }

  check(check: DrillCheck): void {
    this.view.checks.push(check);
    this.show();
  }

  /** Run `undo` in the finally path, whatever ends the drill (last registered, first run). */
  onCleanup(undo: () => Promise<unknown>): void {
    this.undo.unshift(undo);
  }

  async cleanup(): Promise<void> {
    for (const undo of this.undo) await undo();
  }

  /**
   * Every drill's first steps: its preconditions (the activity names what is missing) and the stop
   * conditions, each a check. Returns the model and backup a provider kill uses, and whether to go on
   * (a dry run stops here, having injected nothing).
   */
  async preflight(input: DrillInput): Promise<{ model?: string; backup?: string; go: boolean }> {
    const prepared = await prepareDrill({ ...input, workflowId: this.workflowId });
    const backup = prepared.model ? `${prepared.model} has the backup ${prepared.backup}; ` : '';
    this.check({ name: 'preconditions', passed: true, detail: `${backup}every gateway is ready` });
    await this.stopIfNeeded();
    this.check({
      name: 'stop conditions',
      passed: true,
      detail: 'no alert open on real traffic; the error budget allows it',
    });
    return { ...prepared, go: !input.dryRun };
  }

  async stopIfNeeded(): Promise<void> {
    const reason = await drillStopReason();
    if (reason) throw new DrillStopped(reason);
  }

  /**
   * Poll `read` every `everySeconds` until `done` holds or `withinSeconds` pass, checking the stop
   * conditions each time. Returns the last value read and whether it was done.
   */
  async waitFor<T>(
    read: () => Promise<T>,
    done: (value: T) => boolean,
    withinSeconds: number,
    everySeconds = 2,
  ): Promise<{ value: T; done: boolean }> {
    const deadline = Date.now() + withinSeconds * 1000;
    for (;;) {
      await this.stopIfNeeded();
      const value = await read();
      if (done(value)) return { value, done: true };
      if (Date.now() >= deadline) return { value, done: false };
      await sleep(`${everySeconds} seconds`);
    }
  }

  async finish(status: DrillView['status'], summary: string): Promise<DrillView> {
    Object.assign(this.view, { status, summary, step: 'done' });
    this.show();
    await saveDrillReport(this.view);
    return this.view;
  }

  private show(): void {
    setCurrentDetails(drillDetails(this.view));
  }
}
