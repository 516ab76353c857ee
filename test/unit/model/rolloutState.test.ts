import { DEFAULT_LIMITS } from '../../../src/model/analysisPolicy';
import type { AnalysisOutcome } from '../../../src/model/canaryVerdict';
import { RolloutState } from '../../../src/model/rolloutState';
import { initialRolloutStatus, type RolloutStage } from '../../../src/model/rolloutStatus';

const MINUTE = 60_000;

function rollout() {
  const shown: Array<RolloutStage | undefined> = [];
  const status = initialRolloutStatus({
    workflowId: 'rollout/p',
    prompt: 'p',
    version: '1.1.0',
    baselineVersion: '',
    steps: [
      { weightBp: 1000, holdMs: 10 * MINUTE },
      { weightBp: 5000, holdMs: null },
      { weightBp: 10_000, holdMs: 0 },
    ],
  });
  const state = new RolloutState(status, (stage) => {
    if (stage) status.stage = stage;
    shown.push(stage);
  });
  return { state, status, shown };
}

const passed: AnalysisOutcome = { verdict: 'pass', canaryRequests: 120, baselineRequests: 900, metrics: [] };

describe('RolloutState: handlers and records', () => {
  it('pause and resume are idempotent, recorded and shown; resume clears the inconclusive run', () => {
    const { state, status, shown } = rollout();
    status.tally = { failures: 0, inconclusiveInARow: 3 };
    state.pause({ actor: 'alice', reason: 'lunch' });
    state.pause({ actor: 'bob' });
    expect(status.paused).toBe(true);
    expect(status.decisions.map((d) => `${d.kind}:${d.by}`)).toEqual(['pause:alice']);
    state.resume({ actor: 'carol' });
    state.resume({ actor: 'carol' });
    expect(status.paused).toBe(false);
    expect(status.tally.inconclusiveInARow).toBe(0);
    expect(status.decisions.map((d) => d.kind)).toEqual(['pause', 'resume']);
    expect(shown).toEqual(['paused', 'canary']);
  });

  it('approve counts only on an approval step, once', () => {
    const { state, status } = rollout();
    state.approve({ actor: 'alice' });
    expect(status.steps[0]!.approvedBy).toBeUndefined();
    status.stepIndex = 1;
    state.approve({ actor: 'alice' });
    state.approve({ actor: 'bob' });
    expect(status.steps[1]!.approvedBy).toBe('alice');
  });

  it('the first intent of a kind wins, and every arrival is counted (it interrupts a running activity)', () => {
    const { state } = rollout();
    state.intend('abort', { actor: 'alice' });
    state.intend('abort', { actor: 'bob' });
    expect(state.intents.abort?.actor).toBe('alice');
    expect(state.arrivals).toBe(2);
    expect(state.hasIntent()).toBe(true);
  });

  it('a signal whose payload is not one is recorded and ignored; a missing actor is filled in', () => {
    const { state, status, shown } = rollout();
    const rollback = state.signal('rollback', (by) => state.intend('abort', by));
    rollback('yes please');
    expect(state.hasIntent()).toBe(false);
    expect(status.ignoredSignals).toEqual([expect.objectContaining({ signal: 'rollback', payload: '"yes please"' })]);
    expect(shown).toEqual([undefined]);
    rollback(undefined);
    expect(state.intents.abort?.actor).toMatch(/unknown/);
  });

  it('supersede needs a version, cut to 64 characters', () => {
    const { state, status } = rollout();
    state.supersede({ actor: 'ci' });
    expect(state.intents.supersede).toBeUndefined();
    expect(status.ignoredSignals).toHaveLength(1);
    state.supersede({ actor: 'ci', version: '9'.repeat(100) });
    expect(state.intents.supersede?.version).toHaveLength(64);
  });

  it('updates are refused with a bad payload or once the rollout has ended', () => {
    const { state, status } = rollout();
    expect(() => state.assertLive({ reason: 'no actor' })).toThrow(/actor is required/);
    expect(() => state.assertLive({ actor: 'alice' })).not.toThrow();
    status.stage = 'aborted';
    expect(() => state.assertLive({ actor: 'alice' })).toThrow(/already ended \(aborted\)/);
  });

  it('a step entered, analysed past its hold and passed advances; a skip spends its intent', () => {
    const { state, status } = rollout();
    const step = state.enteringStep();
    state.stepEntered(step.startedAt!);
    expect(status.weightBp).toBe(1000);
    const early = state.analysed(passed, step.startedAt!, Date.parse(step.startedAt!) + MINUTE, DEFAULT_LIMITS);
    expect(early.outcome).toBe('continue');
    const late = state.analysed(passed, step.startedAt!, Date.parse(step.startedAt!) + 11 * MINUTE, DEFAULT_LIMITS);
    expect(late.outcome).toBe('advance');
    expect(status.analyses).toHaveLength(2);
    state.stepLeft('advance', 'canary-analysis');
    state.intend('skipStep', { actor: 'alice' });
    state.stepLeft('promote', 'alice');
    expect(status.steps.map((s) => s.state)).toEqual(['passed', 'skipped', 'pending']);
    expect(state.intents.skipStep).toBeUndefined();
  });

  it('a failed analysis aborts; rolling back zeroes the weight and ends the rollout', () => {
    const { state, status } = rollout();
    state.stepEntered(state.enteringStep().startedAt!);
    const failed = state.analysed({ ...passed, verdict: 'fail' }, new Date().toISOString(), Date.now(), DEFAULT_LIMITS);
    expect(failed.outcome).toBe('abort');
    state.rolledBack('aborted', 'canary-analysis', 'error_rate fail');
    expect(status).toMatchObject({ stage: 'aborted', weightBp: 0 });
    expect(status.steps[0]!.state).toBe('aborted');
  });

  it('finishing now skips what is left; completing passes it', () => {
    const now = rollout();
    now.state.finished('finish-now', 'alice', 'hotfix');
    expect(now.status.steps.map((s) => s.state)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(now.status.decisions.at(-1)?.kind).toBe('promote-full');
    const done = rollout();
    done.state.finished('complete', 'starter', 'every step passed');
    expect(done.status).toMatchObject({ stage: 'completed', weightBp: 10_000 });
    expect(done.status.steps.map((s) => s.state)).toEqual(['passed', 'passed', 'passed']);
  });
});
