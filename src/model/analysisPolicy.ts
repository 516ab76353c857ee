import type { Verdict } from './canaryVerdict';

export interface AnalysisLimits {
  /** Failed windows in a step that abort the rollout. */
  failureLimit: number;
  /** Inconclusive windows in a row beyond which the rollout pauses for a human. */
  inconclusiveLimit: number;
}

export const DEFAULT_LIMITS: AnalysisLimits = { failureLimit: 1, inconclusiveLimit: 3 };

/** What a step does after an analysis. */
export type StepOutcome = 'continue' | 'advance' | 'abort' | 'pause';

export interface StepTally {
  failures: number;
  inconclusiveInARow: number;
  last?: Verdict;
}

/** Count one window's verdict into the step's tally. */
export function tally(previous: StepTally, verdict: Verdict): StepTally {
  return {
    failures: previous.failures + (verdict === 'fail' ? 1 : 0),
    inconclusiveInARow: verdict === 'inconclusive' ? previous.inconclusiveInARow + 1 : 0,
    last: verdict,
  };
}

/**
 * What a step does after a window (Argo Rollouts / Kayenta semantics): abort at the failure limit,
 * pause past the inconclusive limit, advance only once the hold is over and the last analysis
 * passed, else keep holding.
 */
export function stepOutcome(state: StepTally, holdOver: boolean, limits: AnalysisLimits = DEFAULT_LIMITS): StepOutcome {
  if (state.failures >= limits.failureLimit) return 'abort';
  if (state.inconclusiveInARow > limits.inconclusiveLimit) return 'pause';
  if (holdOver && state.last === 'pass') return 'advance';
  return 'continue';
}
