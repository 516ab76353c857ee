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
import { decideStep, tally } from '../src/release/analysisPolicy';
import type { AnalysisOutcome } from '../src/release/canaryAnalysis';
import { describeIgnoredPayload, normaliseSignalDecision, parseDecision } from '../src/release/decisionPayload';
import { analysisWindowStart, holdIsOver, waitBeforeAnalysis } from '../src/release/rolloutHold';
import type { RolloutOptions } from '../src/release/rolloutOptions';
import {
  failureReason,
  finishSteps,
  initialRolloutStatus,
  isFinished,
  liveStage,
  percent,
  recordAnalysis,
  recordDecision,
  recordIgnoredSignal,
  rolloutDetails,
  stepLabel,
  type RolloutDecision,
  type RolloutStage,
  type RolloutStatus,
} from '../src/release/rolloutStatus';
import type { RolloutEvent } from '../src/release/rolloutWebhook';
import { FULL_WEIGHT_BP } from '../src/routing/weights';
import type { Decision } from './promotionMessages';
import { approveSignal, pauseSignal, promoteFullUpdate, promoteUpdate, resumeSignal, rollbackSignal, rolloutStatusQuery, supersedeSignal } from './rolloutMessages';
import { FlightdeckPrompt, FlightdeckStage, FlightdeckWeight } from './searchAttributes';

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
const ROUTING: ActivityOptions = { startToCloseTimeout: '10 seconds', retry: { initialInterval: '200 milliseconds', maximumInterval: '5 seconds', maximumAttempts: 30 } };
const ANALYSIS: ActivityOptions = { startToCloseTimeout: '3 minutes', heartbeatTimeout: '5 seconds', retry: { maximumAttempts: 5 } };
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
  const info = workflowInfo();
  const bucketSalt = input.bucketSalt ?? uuid4();
  // Handlers must exist before the first await, so the state is built first and the baseline filled in after.
  const status: RolloutStatus = input.state ?? initialRolloutStatus({ workflowId: info.workflowId, prompt: input.prompt, version: input.version, baselineVersion: '', steps: input.steps });
  const requests: { abort?: Decision; supersede?: Decision & { version: string }; promoteFull?: Decision; skip?: Decision } = {};
  const requested = () => Object.values(requests).some(Boolean);
  /** How many on-call requests have arrived: an activity is interrupted by one that arrives while it runs. */
  let arrivals = 0;
  const request = <K extends keyof typeof requests>(key: K, value: NonNullable<(typeof requests)[K]>) => {
    requests[key] ??= value;
    arrivals += 1;
  };
  const current = () => status.steps[status.stepIndex]!;

  const decide = (kind: RolloutDecision['kind'], by: string, reason?: string) => recordDecision(status, kind, by, reason);
  const show = (stage?: RolloutStage) => {
    if (stage) status.stage = stage;
    upsertSearchAttributes([
      { key: FlightdeckPrompt, value: status.prompt },
      { key: FlightdeckStage, value: status.stage },
      { key: FlightdeckWeight, value: Math.round(status.weightBp / 100) },
    ]);
    setCurrentDetails(rolloutDetails(status));
  };
  /**
   * Run an activity unless on-call asks for something meanwhile: a rollback (or supersede, promote)
   * arriving while it runs cancels it at once instead of waiting behind it. Undefined when interrupted.
   */
  const unlessInterrupted = async <T>(work: () => Promise<T>): Promise<T | undefined> => {
    let done = false;
    const before = arrivals;
    const scope = new CancellationScope();
    const running = scope.run(work).finally(() => (done = true));
    await condition(() => done || arrivals > before);
    if (done) return running;
    scope.cancel();
    await running.catch(() => undefined);
    return undefined;
  };
  const notify = async (kind: RolloutEvent['kind'], text: string) => {
    // A webhook that is down must never hold up or fail a rollout, nor delay a rollback.
    await unlessInterrupted(() =>
      rollout.notifyRollout.executeWithOptions({ ...WEBHOOK, summary: `webhook: ${kind}` }, [{ kind, prompt: status.prompt, version: status.version, text, workflowId: status.workflowId }]),
    ).catch(() => undefined);
  };

  setHandler(rolloutStatusQuery, () => status);
  /** A signal cannot refuse: a payload that is not one is recorded and ignored; a missing actor is filled in. */
  const onSignal = (name: string, act: (by: Decision) => void) => (raw: unknown) => {
    const by = normaliseSignalDecision(raw);
    if (!by) {
      recordIgnoredSignal(status, name, describeIgnoredPayload(raw));
      show();
      return;
    }
    act(by);
  };
  setHandler(pauseSignal, onSignal('pause', (by) => {
    if (isFinished(status) || status.paused) return;
    status.paused = true;
    decide('pause', by.actor, by.reason);
    show('paused');
  }));
  setHandler(resumeSignal, onSignal('resume', (by) => {
    if (!status.paused) return;
    status.paused = false;
    // A person looked: the inconclusive count starts again.
    status.tally = { ...status.tally, inconclusiveInARow: 0 };
    decide('resume', by.actor, by.reason);
    show(liveStage(status));
  }));
  setHandler(approveSignal, onSignal('approve', (by) => {
    const step = current();
    if (isFinished(status) || step.holdMs !== null || step.approvedBy) return;
    step.approvedBy = by.actor;
    decide('approve', by.actor, by.reason);
    show(liveStage(status));
  }));
  setHandler(rollbackSignal, onSignal('rollback', (by) => {
    request('abort', by);
  }));
  setHandler(supersedeSignal, (raw) => {
    const by = normaliseSignalDecision(raw);
    const version = (raw as { version?: unknown } | undefined)?.version;
    if (!by || typeof version !== 'string') return recordIgnoredSignal(status, 'supersede', describeIgnoredPayload(raw));
    request('supersede', { ...by, version: version.slice(0, 64) });
  });
  const liveOnly = (by: Decision) => {
    parseDecision(by);
    if (isFinished(status)) throw new Error(`The rollout of ${status.prompt}@${status.version} has already ended (${status.stage})`);
  };
  setHandler(
    promoteUpdate,
    async (by) => {
      const from = status.stepIndex;
      request('skip', by);
      await condition(() => status.stepIndex > from || isFinished(status));
      return status;
    },
    { validator: liveOnly },
  );
  setHandler(
    promoteFullUpdate,
    async (by) => {
      request('promoteFull', by);
      await condition(() => isFinished(status));
      return status;
    },
    { validator: liveOnly },
  );

  const backToStable = async (stage: 'aborted' | 'superseded', by: string, reason: string, details?: Record<string, unknown>) => {
    await rollout.restoreStable.executeWithOptions({ ...ROUTING, summary: `100% back on ${status.baselineVersion}` }, [{ prompt: status.prompt, actor: by, reason, details }]);
    current().state = 'aborted';
    status.weightBp = 0;
    decide(stage === 'aborted' ? 'abort' : 'supersede', by, reason);
    show(stage);
    await notify(stage === 'aborted' ? 'abort' : 'supersede', `rolled back to ${status.baselineVersion}: ${reason}`);
  };
  const complete = async (kind: 'complete' | 'promote-full', by: string, reason: string) => {
    await rollout.promoteToProduction.executeWithOptions({ ...ROUTING, summary: `production → ${status.version}` }, [{ prompt: status.prompt, version: status.version, actor: by, reason }]);
    finishSteps(status, kind === 'complete' ? 'passed' : 'skipped');
    status.weightBp = FULL_WEIGHT_BP;
    decide(kind, by, reason);
    show('completed');
    await notify('complete', `is production (${reason})`);
  };
  const enterStep = async () => {
    const step = current();
    step.startedAt = new Date().toISOString();
    const routed = await rollout.applyStepRoute.executeWithOptions(
      { ...ROUTING, summary: step.shadow ? `shadow ${percent(input.shadowSampleBp)} of traffic` : `route ${percent(step.weightBp)} to ${status.version}` },
      [{ prompt: status.prompt, version: status.version, weightBp: step.weightBp, shadow: step.shadow === true, shadowSampleBp: input.shadowSampleBp, actor: input.actor, reason: `rollout step ${status.stepIndex + 1}`, bucketSalt }],
    );
    step.effectiveAt = routed.effectiveAt;
    step.state = 'holding';
    status.weightBp = step.shadow ? 0 : step.weightBp;
    status.tally = { failures: 0, inconclusiveInARow: 0 };
    show(liveStage(status));
    await notify('step', step.shadow ? `shadow step: ${percent(input.shadowSampleBp)} of requests mirrored` : `now serves ${percent(step.weightBp)} of traffic`);
  };
  const advance = (kind: 'advance' | 'promote', by: string, reason?: string) => {
    current().state = kind === 'advance' ? 'passed' : 'skipped';
    decide(kind, by, reason);
    status.stepIndex += 1;
  };
  const analyse = async () => {
    const step = current();
    const now = new Date().toISOString();
    const outcome: AnalysisOutcome | undefined = await unlessInterrupted(() => rollout.analyseCanary.executeWithOptions({ ...ANALYSIS, summary: `analyse step ${status.stepIndex + 1}` }, [
      {
        workflowId: status.workflowId,
        prompt: status.prompt,
        candidateVersion: status.version,
        stepIndex: status.stepIndex,
        weightBp: step.weightBp,
        shadow: step.shadow === true,
        from: analysisWindowStart(step, input.intervalMs, Date.now()),
        to: now,
        judgeSamples: input.judgeSamples,
        judgeModel: input.judgeModel,
      },
    ])).catch((error: Error) => ({ verdict: 'inconclusive' as const, canaryRequests: 0, baselineRequests: 0, metrics: [], error: `analysis failed: ${error.message.slice(0, 300)}` }));
    if (!outcome) return undefined; // on-call asked for something: the loop acts on it now
    // An analysis that cannot run counts as inconclusive: enough of them pause the rollout for a human.
    const summary = { at: now, stepIndex: status.stepIndex, verdict: outcome.verdict, canaryRequests: outcome.canaryRequests, baselineRequests: outcome.baselineRequests, notable: outcome.metrics.filter((m) => m.verdict !== 'pass'), error: outcome.error };
    recordAnalysis(status, summary);
    status.tally = tally(status.tally, outcome.verdict);
    return { summary, decision: decideStep(status.tally, holdIsOver(step, Date.now()), input.limits) };
  };

  if (!input.state) {
    status.baselineVersion = (await registry.resolvePromptVersion.executeWithOptions({ ...REGISTRY, summary: `resolve ${input.prompt} production` }, [input.prompt, 'production'])).version;
    decide('start', input.actor, input.reason);
    show('starting');
    await notify('start', `rollout started by ${input.actor} over ${status.steps.length} steps (baseline ${status.baselineVersion})`);
  } else {
    show();
  }

  while (!isFinished(status)) {
    const step = current();
    if (requests.abort) {
      await backToStable('aborted', requests.abort.actor, requests.abort.reason ?? 'rollback requested');
    } else if (requests.supersede) {
      await backToStable('superseded', requests.supersede.actor, `superseded by ${requests.supersede.version}`);
    } else if (requests.promoteFull) {
      await complete('promote-full', requests.promoteFull.actor, requests.promoteFull.reason ?? 'promoted in full by hand');
    } else if (!step.shadow && step.weightBp >= FULL_WEIGHT_BP) {
      // The last step is the promotion itself: at 100% there is no baseline left to compare with.
      await complete('complete', input.actor, 'every step passed its analysis');
    } else if (step.state === 'pending') {
      await enterStep();
    } else if (requests.skip) {
      advance('promote', requests.skip.actor, requests.skip.reason ?? 'promoted to the next step by hand');
      requests.skip = undefined;
    } else if (status.paused) {
      const paused = status.decisions.at(-1);
      await notify('pause', `paused by ${paused?.by ?? 'someone'}${paused?.reason ? `: ${paused.reason}` : ''}`);
      await condition(() => !status.paused || requested());
      if (!status.paused) await notify('resume', `resumed at ${percent(status.weightBp)}`);
    } else {
      const approvalPending = liveStage(status) === 'awaiting-approval';
      await condition(() => requested() || status.paused || (approvalPending && step.approvedBy !== undefined), waitBeforeAnalysis(step, input.intervalMs, Date.now()), {
        summary: `hold at step ${status.stepIndex + 1} (${stepLabel(step)})`,
      });
      if (requested() || status.paused) continue;
      const analysed = await analyse();
      if (!analysed) continue;
      const { summary, decision } = analysed;
      if (decision === 'abort') {
        await backToStable('aborted', 'canary-analysis', failureReason(summary), { analysis: summary });
      } else if (decision === 'pause') {
        status.paused = true;
        decide('pause', 'canary-analysis', `more than ${input.limits.inconclusiveLimit} inconclusive analyses in a row (too little traffic?); look at the numbers, then resume or abort`);
        show('paused');
      } else {
        if (decision === 'advance') advance('advance', 'canary-analysis', 'hold over, last analysis passed');
        else show(liveStage(status));
      }
    }
    if (!isFinished(status) && !requested() && allHandlersFinished() && (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > (input.historyLimit ?? DEFAULT_HISTORY_LIMIT))) {
      status.generation += 1;
      await continueAsNew<typeof rolloutWorkflow>({ ...input, state: status, bucketSalt });
    }
  }
  return status;
}
