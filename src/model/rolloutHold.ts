import { ANALYSIS_LOOKBACK_INTERVALS } from './rolloutOptions';
import type { StepProgress } from './rolloutStatus';

/**
 * A step's hold, by the workflow's clock: when it is over, how long to wait before the next
 * analysis, and which window that analysis reads. Pure, so the workflow only orchestrates.
 */

/** A timed hold is over once its time has passed; an approval hold once someone approved. */
export function holdIsOver(step: StepProgress, now: number): boolean {
  return step.holdMs === null ? step.approvedBy !== undefined : now >= Date.parse(step.startedAt!) + step.holdMs;
}

/** Until the next analysis: one interval, or less when the hold ends sooner. */
export function waitBeforeAnalysis(step: StepProgress, intervalMs: number, now: number): number {
  const holdLeft = step.holdMs === null ? intervalMs : Date.parse(step.startedAt!) + step.holdMs - now;
  return Math.max(1, Math.min(intervalMs, holdLeft > 0 ? holdLeft : intervalMs));
}

/** Since the step's routing took effect, but at most the last ten intervals (a late regression is not diluted). */
export function analysisWindowStart(step: StepProgress, intervalMs: number, now: number): string {
  return new Date(
    Math.max(Date.parse(step.effectiveAt!), now - ANALYSIS_LOOKBACK_INTERVALS * intervalMs),
  ).toISOString();
}
