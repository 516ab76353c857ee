import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { RegistryActivities } from '../activities/registry';
import type { RolloutActivities } from '../activities/rollout';
import { failedAnalysis } from '../src/model/canaryVerdict';
import type { RolloutEvent } from '../src/model/rolloutEvent';
import { analysisWindowStart } from '../src/model/rolloutHold';
import { nextAction } from '../src/model/rolloutNextAction';
import type { RolloutOptions } from '../src/model/rolloutOptions';
import { RolloutState } from '../src/model/rolloutState';
import {
  failureReason,
  initialRolloutStatus,
  isFinished,
  liveStage,
  percent,
  rolloutDetails,
  holdSummary,
  type RolloutStage,
  type RolloutStatus,
} from '../src/model/rolloutStatus';
import { FlightdeckPrompt, FlightdeckStage, FlightdeckWeight } from '../src/model/searchAttributes';
import {
  approveSignal,
  finishNowUpdate,
  pauseSignal,
  resumeSignal,
  rollbackSignal,
  rolloutStatusQuery,
  skipStepUpdate,
  supersedeSignal,
} from './rolloutMessages';

export interface RolloutInput extends RolloutOptions {
  prompt: string;
  version: string;
  actor: string;
  reason?: string;
  /** Continue as new past this many history events (small in tests). */
  historyLimit?: number;
  /** The state carried over by continue-as-new. */
  state?: RolloutStatus;
  /**
   * Salts the candidate's bucketing: a secret of this rollout (never shown to tenants), so nobody can
   * compute which user ids land in the candidate. Made at the first run, carried over by continue-as-new.
   */
  bucketSalt?: string;
}

const DEFAULT_HISTORY_LIMIT = 4000;

// Routing writes retry for about two minutes, with a short timeout so a worker that died mid-write
// is replaced quickly; past that the workflow fails loudly and `flightdeck rollback` writes the
// route itself. The analysis heartbeats for the same reason.
const ROUTING: ActivityOptions = {
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', maximumInterval: '5 seconds', maximumAttempts: 30 },
};
const ANALYSIS: ActivityOptions = {
  startToCloseTimeout: '3 minutes',
  heartbeatTimeout: '5 seconds',
  retry: { maximumAttempts: 5 },
};
const WEBHOOK: ActivityOptions = { startToCloseTimeout: '10 seconds', retry: { maximumAttempts: 3 } };
const REGISTRY: ActivityOptions = { startToCloseTimeout: '30 seconds', retry: { maximumAttempts: 10 } };
const rollout = proxyActivities<RolloutActivities>(ROUTING);
const registry = proxyActivities<RegistryActivities>(REGISTRY);

/**
 * The staged canary of one prompt version (`rollout/<prompt>`): each step routes the candidate at
 * its weight, analyses it against stable on an interval during the hold, and advances only once
 * the hold is over and the last analysis passed. A failed analysis, or `rollback`, puts 100% back on
 * stable at once; the last step moves production. People pause, resume, approve, promote.
 */
export async function rolloutWorkflow(input: RolloutInput): Promise<RolloutStatus> {
  const bucketSalt = input.bucketSalt ?? uuid4();
  // Handlers must exist before the first await, so the state is built first and the baseline filled in after.
  const status =
    input.state ??
    initialRolloutStatus({
      workflowId: workflowInfo().workflowId,
      prompt: input.prompt,
      version: input.version,
      baselineVersion: '',
      steps: input.steps,
    });
  const state = new RolloutState(status, (stage) => show(status, stage));
  listen(state);
  const run = new RolloutRun(input, state, bucketSalt);

  if (input.state) show(status);
  else await run.start();

  while (!isFinished(status)) {
    const action = nextAction(status, state.intents, Date.now(), input.intervalMs, input.actor);
    switch (action.kind) {
      case 'roll-back':
        await run.backToStable(action.stage, action.actor, action.reason);
        break;
      case 'finish':
        await run.finish(action.how, action.actor, action.reason);
        break;
      case 'enter-step':
        await run.enterStep();
        break;
      case 'skip-step':
        state.stepLeft('promote', action.by.actor, action.by.reason ?? 'promoted to the next step by hand');
        break;
      case 'wait-while-paused':
        await run.waitWhilePaused();
        break;
      case 'hold-then-analyse':
        await run.holdThenAnalyse(action.waitMs, action.awaitingApproval);
        break;
    }
    if (!isFinished(status) && !state.hasIntent() && allHandlersFinished() && historyIsLong(input)) {
      status.generation += 1;
      await continueAsNew<typeof rolloutWorkflow>({ ...input, state: status, bucketSalt });
    }
  }
  return status;
}

/** The messages on-call sends; each is a method of the state. */
function listen(state: RolloutState): void {
  setHandler(rolloutStatusQuery, () => state.status);
  setHandler(
    pauseSignal,
    state.signal('pause', (by) => state.pause(by)),
  );
  setHandler(
    resumeSignal,
    state.signal('resume', (by) => state.resume(by)),
  );
  setHandler(
    approveSignal,
    state.signal('approve', (by) => state.approve(by)),
  );
  setHandler(
    rollbackSignal,
    state.signal('rollback', (by) => state.intend('abort', by)),
  );
  setHandler(supersedeSignal, (raw) => state.supersede(raw));
  const validator = (raw: unknown) => state.assertLive(raw);
  setHandler(
    skipStepUpdate,
    async (by) => {
      const from = state.status.stepIndex;
      state.intend('skipStep', by);
      await condition(() => state.status.stepIndex > from || isFinished(state.status));
      return state.status;
    },
    { validator },
  );
  setHandler(
    finishNowUpdate,
    async (by) => {
      state.intend('finishNow', by);
      await condition(() => isFinished(state.status));
      return state.status;
    },
    { validator },
  );
}

/** The state where people look: search attributes for the workflow list, details for its page. */
function show(status: RolloutStatus, stage?: RolloutStage): void {
  if (stage) status.stage = stage;
  upsertSearchAttributes([
    { key: FlightdeckPrompt, value: status.prompt },
    { key: FlightdeckStage, value: status.stage },
    { key: FlightdeckWeight, value: Math.round(status.weightBp / 100) },
  ]);
  setCurrentDetails(rolloutDetails(status));
}

const historyIsLong = (input: RolloutInput) =>
  workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > (input.historyLimit ?? DEFAULT_HISTORY_LIMIT);

/** The activities of each action, and what the state records after them. */
class RolloutRun {
  constructor(
    private readonly input: RolloutInput,
    private readonly state: RolloutState,
    private readonly bucketSalt: string,
  ) {}

  private get status(): RolloutStatus {
    return this.state.status;
  }

  async start(): Promise<void> {
    const { input } = this;
    const baseline = await registry.resolvePromptVersion.executeWithOptions(
      { ...REGISTRY, summary: `resolve ${input.prompt} production` },
      [input.prompt, 'production'],
    );
    this.state.started(baseline.version, input.actor, input.reason);
    await this.notify(
      'start',
      `rollout started by ${input.actor} over ${this.status.steps.length} steps (baseline ${this.status.baselineVersion})`,
    );
  }

  async backToStable(
    stage: 'aborted' | 'superseded',
    by: string,
    reason: string,
    details?: Record<string, unknown>,
  ): Promise<void> {
    await rollout.restoreStable.executeWithOptions(
      { ...ROUTING, summary: `100% back on ${this.status.baselineVersion}` },
      [{ prompt: this.status.prompt, actor: by, reason, details }],
    );
    this.state.rolledBack(stage, by, reason);
    await this.notify(
      stage === 'aborted' ? 'abort' : 'supersede',
      `rolled back to ${this.status.baselineVersion}: ${reason}`,
    );
  }

  async finish(how: 'complete' | 'finish-now', by: string, reason: string): Promise<void> {
    await rollout.promoteToProduction.executeWithOptions(
      { ...ROUTING, summary: `production → ${this.status.version}` },
      [{ prompt: this.status.prompt, version: this.status.version, actor: by, reason }],
    );
    this.state.finished(how, by, reason);
    await this.notify('complete', `is production (${reason})`);
  }

  async enterStep(): Promise<void> {
    const { input, status } = this;
    const step = this.state.enteringStep();
    const routed = await rollout.applyStepRoute.executeWithOptions(
      {
        ...ROUTING,
        summary: step.shadow
          ? `shadow ${percent(input.shadowSampleBp)} of traffic`
          : `route ${percent(step.weightBp)} to ${status.version}`,
      },
      [
        {
          prompt: status.prompt,
          version: status.version,
          weightBp: step.weightBp,
          shadow: step.shadow === true,
          shadowSampleBp: input.shadowSampleBp,
          actor: input.actor,
          reason: `rollout step ${status.stepIndex + 1}`,
          bucketSalt: this.bucketSalt,
        },
      ],
    );
    this.state.stepEntered(routed.effectiveAt);
    await this.notify(
      'step',
      step.shadow
        ? `shadow step: ${percent(input.shadowSampleBp)} of requests mirrored`
        : `now serves ${percent(step.weightBp)} of traffic`,
    );
  }

  async waitWhilePaused(): Promise<void> {
    const paused = this.status.decisions.at(-1);
    await this.notify('pause', `paused by ${paused?.by ?? 'someone'}${paused?.reason ? `: ${paused.reason}` : ''}`);
    await condition(() => !this.status.paused || this.state.hasIntent());
    if (!this.status.paused) await this.notify('resume', `resumed at ${percent(this.status.weightBp)}`);
  }

  /** Hold until the next analysis is due (or a person acts), then analyse and act on the outcome. */
  async holdThenAnalyse(waitMs: number, awaitingApproval: boolean): Promise<void> {
    const { state, status } = this;
    const step = state.step;
    const interrupted = () => state.hasIntent() || status.paused;
    await condition(() => interrupted() || (awaitingApproval && step.approvedBy !== undefined), waitMs, {
      summary: holdSummary(status),
    });
    if (interrupted()) return;
    const at = new Date().toISOString();
    const outcome = await this.unlessInterrupted(() =>
      rollout.analyseCanary.executeWithOptions({ ...ANALYSIS, summary: `analyse step ${status.stepIndex + 1}` }, [
        {
          workflowId: status.workflowId,
          prompt: status.prompt,
          candidateVersion: status.version,
          stepIndex: status.stepIndex,
          weightBp: step.weightBp,
          shadow: step.shadow === true,
          from: analysisWindowStart(step, this.input.intervalMs, Date.now()),
          to: at,
          judgeSamples: this.input.judgeSamples,
          judgeModel: this.input.judgeModel,
        },
      ]),
    ).catch((error: Error) => failedAnalysis(error.message));
    if (!outcome) return; // on-call asked for something: the loop acts on it now
    // An analysis that cannot run counts as inconclusive: enough of them pause the rollout for a human.
    const analysed = state.analysed(outcome, at, Date.now(), this.input.limits);
    switch (analysed.outcome) {
      case 'abort':
        return this.backToStable('aborted', 'canary-analysis', failureReason(analysed.summary), {
          analysis: analysed.summary,
        });
      case 'pause':
        return state.pausedByAnalysis(
          `more than ${this.input.limits.inconclusiveLimit} inconclusive analyses in a row (too little traffic?); look at the numbers, then resume or abort`,
        );
      case 'advance':
        return state.stepLeft('advance', 'canary-analysis', 'hold over, last analysis passed');
      case 'continue':
        return show(status, liveStage(status));
    }
  }

  /**
   * Run an activity unless on-call asks for something meanwhile: a rollback (or supersede, promote)
   * arriving while it runs cancels it at once instead of waiting behind it. Undefined when interrupted.
   */
  private async unlessInterrupted<T>(work: () => Promise<T>): Promise<T | undefined> {
    let done = false;
    const before = this.state.arrivals;
    const scope = new CancellationScope();
    const running = scope.run(work).finally(() => (done = true));
    await condition(() => done || this.state.arrivals > before);
    if (done) return running;
    scope.cancel();
    await running.catch(() => undefined);
    return undefined;
  }

  private async notify(kind: RolloutEvent['kind'], text: string): Promise<void> {
    // A webhook that is down must never hold up or fail a rollout, nor delay a rollback.
    await this.unlessInterrupted(() =>
      rollout.notifyRollout.executeWithOptions({ ...WEBHOOK, summary: `webhook: ${kind}` }, [
        { kind, prompt: this.status.prompt, version: this.status.version, text, workflowId: this.status.workflowId },
      ]),
    ).catch(() => undefined);
  }
}
