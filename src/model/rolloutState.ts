import { stepOutcome, tally, type AnalysisLimits, type StepOutcome } from './analysisPolicy';
import { describeIgnoredPayload, normaliseSignalAttribution, parseAttribution, type Attribution } from './attribution';
import type { AnalysisOutcome } from './canaryVerdict';
import { holdIsOver } from './rolloutHold';
import { hasIntent, type RolloutIntents } from './rolloutIntents';
import { FULL_WEIGHT_BP } from './weights';
import {
  finishSteps,
  isFinished,
  liveStage,
  recordAnalysis,
  recordDecision,
  recordIgnoredSignal,
  type AnalysisSummary,
  type RolloutDecision,
  type RolloutStage,
  type RolloutStatus,
  type StepProgress,
} from './rolloutStatus';

/**
 * A live rollout's state and every change to it: the message handlers are its methods (the
 * `ClusterManager` of Temporal's safe-message-handlers sample), and the workflow calls the rest
 * after each activity. `changed` tells the workflow to show the state (search attributes, details).
 */
export class RolloutState {
  readonly intents: RolloutIntents = {};
  /** How many intents have arrived: an activity is interrupted by one that arrives while it runs. */
  arrivals = 0;

  constructor(
    readonly status: RolloutStatus,
    private readonly changed: (stage?: RolloutStage) => void,
  ) {}

  get step(): StepProgress {
    return this.status.steps[this.status.stepIndex]!;
  }

  hasIntent(): boolean {
    return hasIntent(this.intents);
  }

  // ---- message handlers ----

  /** A signal cannot refuse: a payload that is not one is recorded and ignored; a missing actor is filled in. */
  signal(name: string, act: (by: Attribution) => void): (raw: unknown) => void {
    return (raw) => {
      const by = normaliseSignalAttribution(raw);
      if (by) return act(by);
      this.ignore(name, raw);
    };
  }

  pause(by: Attribution): void {
    if (isFinished(this.status) || this.status.paused) return;
    this.status.paused = true;
    this.decide('pause', by.actor, by.reason);
    this.changed('paused');
  }

  resume(by: Attribution): void {
    if (!this.status.paused) return;
    this.status.paused = false;
    // A person looked: the inconclusive count starts again.
    this.status.tally = { ...this.status.tally, inconclusiveInARow: 0 };
    this.decide('resume', by.actor, by.reason);
    this.changed(liveStage(this.status));
  }

  approve(by: Attribution): void {
    const step = this.step;
    if (isFinished(this.status) || step.holdMs !== null || step.approvedBy) return;
    step.approvedBy = by.actor;
    this.decide('approve', by.actor, by.reason);
    this.changed(liveStage(this.status));
  }

  supersede(raw: unknown): void {
    const by = normaliseSignalAttribution(raw);
    const version = (raw as { version?: unknown } | undefined)?.version;
    if (!by || typeof version !== 'string') return this.ignore('supersede', raw);
    this.intend('supersede', { ...by, version: version.slice(0, 64) });
  }

  intend<K extends keyof RolloutIntents>(key: K, value: NonNullable<RolloutIntents[K]>): void {
    this.intents[key] ??= value;
    this.arrivals += 1;
  }

  /** Validator of the updates: a proper payload, and a rollout that is still live. */
  assertLive(raw: unknown): void {
    parseAttribution(raw);
    if (isFinished(this.status))
      throw new Error(
        `The rollout of ${this.status.prompt}@${this.status.version} has already ended (${this.status.stage})`,
      );
  }

  // ---- what the workflow records after its activities ----

  decide(kind: RolloutDecision['kind'], by: string, reason?: string): void {
    recordDecision(this.status, kind, by, reason);
  }

  started(baselineVersion: string, actor: string, reason?: string): void {
    this.status.baselineVersion = baselineVersion;
    this.decide('start', actor, reason);
    this.changed('starting');
  }

  /** The step starts: its hold is timed from here, before its routing is written. */
  enteringStep(): StepProgress {
    const step = this.step;
    step.startedAt = new Date().toISOString();
    return step;
  }

  stepEntered(effectiveAt: string): void {
    const step = this.step;
    step.effectiveAt = effectiveAt;
    step.state = 'holding';
    this.status.weightBp = step.shadow ? 0 : step.weightBp;
    this.status.tally = { failures: 0, inconclusiveInARow: 0 };
    this.changed(liveStage(this.status));
  }

  /** The step is left for the next: passed its analysis, or skipped by hand (that intent is spent). */
  stepLeft(kind: 'advance' | 'promote', by: string, reason?: string): void {
    this.step.state = kind === 'advance' ? 'passed' : 'skipped';
    this.decide(kind, by, reason);
    this.status.stepIndex += 1;
    if (kind === 'promote') this.intents.skipStep = undefined;
  }

  rolledBack(stage: 'aborted' | 'superseded', by: string, reason: string): void {
    this.step.state = 'aborted';
    this.status.weightBp = 0;
    this.decide(stage === 'aborted' ? 'abort' : 'supersede', by, reason);
    this.changed(stage);
  }

  finished(how: 'complete' | 'finish-now', by: string, reason: string): void {
    finishSteps(this.status, how === 'complete' ? 'passed' : 'skipped');
    this.status.weightBp = FULL_WEIGHT_BP;
    this.decide(how === 'complete' ? 'complete' : 'promote-full', by, reason);
    this.changed('completed');
  }

  /** Keep one analysis and say what the step does next; `now` is after the analysis ran. */
  analysed(
    outcome: AnalysisOutcome,
    at: string,
    now: number,
    limits: AnalysisLimits,
  ): { summary: AnalysisSummary; outcome: StepOutcome } {
    const summary: AnalysisSummary = {
      at,
      stepIndex: this.status.stepIndex,
      verdict: outcome.verdict,
      canaryRequests: outcome.canaryRequests,
      baselineRequests: outcome.baselineRequests,
      notable: outcome.metrics.filter((m) => m.verdict !== 'pass'),
      error: outcome.error,
    };
    recordAnalysis(this.status, summary);
    this.status.tally = tally(this.status.tally, outcome.verdict);
    return { summary, outcome: stepOutcome(this.status.tally, holdIsOver(this.step, now), limits) };
  }

  /** Too many inconclusive analyses: a human looks before anything moves. */
  pausedByAnalysis(reason: string): void {
    this.status.paused = true;
    this.decide('pause', 'canary-analysis', reason);
    this.changed('paused');
  }

  private ignore(signal: string, raw: unknown): void {
    recordIgnoredSignal(this.status, signal, describeIgnoredPayload(raw));
    this.changed();
  }
}
