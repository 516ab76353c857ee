import type { Attribution } from '../../../src/model/attribution';
import type { RolloutIntents } from '../../../src/model/rolloutIntents';
import { nextAction } from '../../../src/model/rolloutNextAction';
import { initialRolloutStatus, type RolloutStatus } from '../../../src/model/rolloutStatus';

const MINUTE = 60_000;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const alice: Attribution = { actor: 'alice', reason: 'looks wrong' };

/** A rollout at 10% (10-minute hold), then 50% waiting for approval, then 100%. */
function status(change: (s: RolloutStatus) => void = () => undefined): RolloutStatus {
  const s = initialRolloutStatus({
    workflowId: 'rollout/p',
    prompt: 'p',
    version: '1.1.0',
    baselineVersion: '1.0.0',
    steps: [
      { weightBp: 1000, holdMs: 10 * MINUTE },
      { weightBp: 5000, holdMs: null },
      { weightBp: 10_000, holdMs: 0 },
    ],
  });
  s.steps[0]!.state = 'holding';
  s.steps[0]!.startedAt = new Date(T0).toISOString();
  s.steps[0]!.effectiveAt = new Date(T0).toISOString();
  change(s);
  return s;
}

const next = (s: RolloutStatus, intents: RolloutIntents = {}, now = T0 + MINUTE) =>
  nextAction(s, intents, now, 2 * MINUTE, 'starter');

describe('nextAction: what a live rollout does next', () => {
  const every: RolloutIntents = {
    abort: alice,
    supersede: { ...alice, version: '1.2.0' },
    finishNow: alice,
    skipStep: alice,
  };

  it('holds, then analyses after one interval', () => {
    expect(next(status())).toEqual({ kind: 'hold-then-analyse', waitMs: 2 * MINUTE, awaitingApproval: false });
  });

  it('waits no longer than the hold has left', () => {
    expect(next(status(), {}, T0 + 9 * MINUTE)).toMatchObject({ kind: 'hold-then-analyse', waitMs: MINUTE });
  });

  it('abort beats every other intent, with its reason or a default', () => {
    expect(next(status(), every)).toEqual({
      kind: 'roll-back',
      stage: 'aborted',
      actor: 'alice',
      reason: 'looks wrong',
    });
    expect(next(status(), { abort: { actor: 'bob' } })).toMatchObject({ reason: 'rollback requested' });
  });

  it('supersede comes next, naming the newer version', () => {
    const { abort: _, ...rest } = every;
    expect(next(status(), rest)).toEqual({
      kind: 'roll-back',
      stage: 'superseded',
      actor: 'alice',
      reason: 'superseded by 1.2.0',
    });
  });

  it('finish-now beats skipping a step, the last step, a pending step and a pause', () => {
    const s = status((x) => {
      x.paused = true;
      x.stepIndex = 2;
    });
    expect(next(s, { finishNow: { actor: 'carol' }, skipStep: alice })).toEqual({
      kind: 'finish',
      how: 'finish-now',
      actor: 'carol',
      reason: 'promoted in full by hand',
    });
  });

  it('the 100% step completes on its own, attributed to whoever started the rollout, even when paused', () => {
    const s = status((x) => {
      x.stepIndex = 2;
      x.paused = true;
    });
    expect(next(s, { skipStep: alice })).toEqual({
      kind: 'finish',
      how: 'complete',
      actor: 'starter',
      reason: 'every step passed its analysis',
    });
  });

  it('a shadow step at 100% is not the last step', () => {
    const s = status((x) => {
      x.steps[0] = { ...x.steps[0]!, weightBp: 10_000, shadow: true };
    });
    expect(next(s).kind).toBe('hold-then-analyse');
  });

  it('a pending step is entered before a skip or a pause is looked at', () => {
    const s = status((x) => {
      x.stepIndex = 1;
      x.paused = true;
    });
    expect(next(s, { skipStep: alice })).toEqual({ kind: 'enter-step' });
  });

  it('skip beats a pause', () => {
    expect(
      next(
        status((x) => (x.paused = true)),
        { skipStep: alice },
      ),
    ).toEqual({ kind: 'skip-step', by: alice });
  });

  it('a pause beats the hold', () => {
    expect(next(status((x) => (x.paused = true)))).toEqual({ kind: 'wait-while-paused' });
  });

  it('an approval step holds awaiting approval until someone approves', () => {
    const s = status((x) => {
      x.stepIndex = 1;
      x.steps[1]!.state = 'holding';
      x.steps[1]!.startedAt = new Date(T0).toISOString();
    });
    expect(next(s)).toEqual({ kind: 'hold-then-analyse', waitMs: 2 * MINUTE, awaitingApproval: true });
    s.steps[1]!.approvedBy = 'dave';
    expect(next(s)).toMatchObject({ awaitingApproval: false });
  });
});
