import { DEFAULT_LIMITS, type AnalysisLimits } from './analysisPolicy';
import { DEFAULT_STEPS, type RolloutStep } from './rolloutSteps';

/** How a rollout ramps and judges: steps, analysis cadence, limits. Part of both workflows' input. */
export interface RolloutOptions {
  steps: RolloutStep[];
  /** How often a hold is analysed. */
  intervalMs: number;
  limits: AnalysisLimits;
  /** Share of live requests a shadow step mirrors, in basis points. */
  shadowSampleBp: number;
  /** Live answers per side the judge scores each interval (0: no judge). */
  judgeSamples: number;
  judgeModel: string;
}

/**
 * An analysis looks back at most this many intervals (and never before its step began): a long
 * hold's healthy hour must not dilute a regression that starts in its last minutes.
 */
export const ANALYSIS_LOOKBACK_INTERVALS = 10;

export const DEFAULT_ROLLOUT_OPTIONS: Omit<RolloutOptions, 'judgeModel'> = {
  steps: DEFAULT_STEPS,
  intervalMs: 60_000,
  limits: DEFAULT_LIMITS,
  shadowSampleBp: 1000,
  judgeSamples: 10,
};
