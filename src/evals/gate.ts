import type { PairedComparison } from '../analysis/stats';
import type { GateCheck, GateResult } from '../model/gateResult';
import { PASS_RATE, SCORE, type EvalSummary } from './summary';

export interface GateSettings {
  floors: Record<string, number>;
  maxRegression: number;
}

/** Used when neither the dataset nor the prompt sets a floor: a gate that checks nothing protects nothing. */
export const DEFAULT_FLOORS: Record<string, number> = { [PASS_RATE]: 0.8 };

/** Dataset floors over the prompt's (the dataset is closer to the cases), defaulting to DEFAULT_FLOORS. */
export function gateSettings(dataset: GateSettings, promptFloors: Record<string, number> = {}): GateSettings {
  const floors = { ...promptFloors, ...dataset.floors };
  return { floors: Object.keys(floors).length ? floors : DEFAULT_FLOORS, maxRegression: dataset.maxRegression };
}

/**
 * Every floor must hold on the metric's mean, and, with a baseline, no gated metric (the floored
 * ones plus pass_rate and score) may drop by more than maxRegression.
 */
export function applyGate(
  summary: EvalSummary,
  settings: GateSettings,
  comparison?: Record<string, PairedComparison>,
): GateResult {
  const checks: GateCheck[] = [];
  for (const [metric, floor] of Object.entries(settings.floors)) {
    const actual = summary.metrics[metric]?.mean ?? Number.NaN;
    checks.push({ metric, kind: 'floor', limit: floor, actual, passed: actual >= floor });
  }
  if (comparison) {
    const gated = new Set([PASS_RATE, SCORE, ...Object.keys(settings.floors)]);
    for (const metric of gated) {
      const diff = comparison[metric]?.difference.mean;
      if (diff === undefined || Number.isNaN(diff)) continue;
      checks.push({
        metric,
        kind: 'regression',
        limit: -settings.maxRegression,
        actual: diff,
        passed: diff >= -settings.maxRegression - 1e-12,
      });
    }
  }
  return { passed: checks.every((c) => c.passed), checks };
}
