/**
 * The monitor pass's detectors: pure functions from numbers to a verdict, so each is tested on
 * seeded series without a database. Every verdict says why, with the numbers, and "no data" or
 * "too little traffic" is a verdict of its own, never a silent pass.
 */
export type Verdict =
  | { state: 'fire'; reason: string; numbers: Record<string, number> }
  | { state: 'ok'; numbers: Record<string, number> }
  | { state: 'no_data' | 'low_volume'; reason: string; numbers: Record<string, number> };

const MAD_SCALE = 1.4826; // makes the median absolute deviation estimate σ for normal data

export function median(values: readonly number[]): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

// A baseline's median and MAD, per baseline array: the live pass reuses a baseline's rows for an
// hour (and replays reuse them for every pass), so each is sorted once, not once per series and pass.
const centres = new WeakMap<readonly number[], { center: number; mad: number }>();

/** How far `current` is from the baseline's median, in robust standard deviations (MAD-based). */
function robustScore(current: number, baseline: readonly number[]): { center: number; robustZ: number } {
  let summary = centres.get(baseline);
  if (!summary) {
    const center = median(baseline);
    summary = { center, mad: median(baseline.map((v) => Math.abs(v - center))) };
    centres.set(baseline, summary);
  }
  return { center: summary.center, robustZ: (current - summary.center) / Math.max(MAD_SCALE * summary.mad, 1e-9) };
}

export interface SpikeOptions {
  /** Robust z-score past which a value is unusual (median and MAD instead of mean and σ). */
  sigmas: number;
  /** And at least this many times the baseline median. */
  ratio: number;
  /** And at least this much above the median, in the metric's unit: small sums never page anyone. */
  floor: number;
  /** Baseline points needed before judging. */
  minBaseline: number;
}

/**
 * A value far above its baseline on every count at once: robust z-score, ratio and absolute floor.
 * A plain 2σ rule over a hundred series fires many times a day; requiring all three keeps the
 * noise down while a real ×3 spike still fires.
 */
export function robustSpike(current: number, baseline: readonly number[], options: SpikeOptions): Verdict {
  const { center, robustZ } = robustScore(current, baseline);
  const numbers = { current, median: center, robustZ, points: baseline.length };
  if (baseline.length < options.minBaseline)
    return { state: 'no_data', reason: `${baseline.length} baseline points, ${options.minBaseline} needed`, numbers };
  const fired =
    numbers.robustZ >= options.sigmas && current >= options.ratio * center && current - center >= options.floor;
  return fired
    ? {
        state: 'fire',
        reason: `${round(current)} against a baseline median of ${round(center)} (×${round(current / Math.max(center, 1e-9))}, robust z ${round(numbers.robustZ)})`,
        numbers,
      }
    : { state: 'ok', numbers };
}

export interface WindowCount {
  /** Window length in minutes. */
  minutes: number;
  bad: number;
  total: number;
}

export interface BurnRule {
  /** Burn rate (multiples of the error budget's even spend) both windows must reach. */
  burn: number;
  longMinutes: number;
  shortMinutes: number;
  severity: 'page' | 'ticket';
}

/**
 * The Google SRE workbook's multiwindow, multi-burn-rate alerts for a 30-day objective, after a
 * fast tier of our own for hard outages: the workbook's first page needs an hour's window to reach
 * 14.4× (about ten minutes of a full outage); 30× over five minutes and the last minute pages in two.
 */
export const SRE_BURN_RULES: readonly BurnRule[] = [
  { burn: 30, longMinutes: 5, shortMinutes: 1, severity: 'page' },
  { burn: 14.4, longMinutes: 60, shortMinutes: 5, severity: 'page' },
  { burn: 6, longMinutes: 360, shortMinutes: 30, severity: 'page' },
  { burn: 1, longMinutes: 4320, shortMinutes: 360, severity: 'ticket' },
];

/**
 * Error-budget burn: fires the first rule whose long and short windows both burn at least its
 * rate (the short window makes the alert stop soon after the fault does).
 */
export function burnRate(
  windows: readonly WindowCount[],
  objective: number,
  minVolume: number,
  rules: readonly BurnRule[] = SRE_BURN_RULES,
): Verdict & { severity?: 'page' | 'ticket' } {
  const budget = 1 - objective;
  const byLength = new Map(windows.map((w) => [w.minutes, w]));
  const burnOf = (minutes: number) => {
    const w = byLength.get(minutes);
    return w && w.total ? w.bad / w.total / budget : 0;
  };
  const longest = windows.reduce((a, b) => (b.minutes > a.minutes ? b : a), windows[0]!);
  const numbers: Record<string, number> = Object.fromEntries(
    windows.map((w) => [`burn${w.minutes}m`, round(burnOf(w.minutes))]),
  );
  if (!longest || !longest.total) return { state: 'no_data', reason: 'no requests in any window', numbers };
  for (const rule of rules) {
    const long = byLength.get(rule.longMinutes);
    if (!long || long.total < minVolume) continue;
    if (burnOf(rule.longMinutes) >= rule.burn && burnOf(rule.shortMinutes) >= rule.burn)
      return {
        state: 'fire',
        severity: rule.severity,
        reason: `error budget burning ${round(burnOf(rule.longMinutes))}× over ${rule.longMinutes} min and ${round(burnOf(rule.shortMinutes))}× over ${rule.shortMinutes} min (objective ${objective * 100}%)`,
        numbers,
      };
  }
  const volume = byLength.get(60)?.total ?? byLength.get(rules[0]!.longMinutes)?.total ?? 0;
  if (volume < minVolume)
    return { state: 'low_volume', reason: `${volume} requests in the last hour, ${minVolume} needed`, numbers };
  return { state: 'ok', numbers };
}

/** "Too little traffic to judge" for a window holding fewer than `needed` of `unit`: a verdict of its own, never a pass. */
export function lowVolume(
  count: number,
  needed: number,
  unit: 'requests' | 'answers' | 'grounded_answers' | 'guardrail_runs',
): Verdict {
  return {
    state: 'low_volume',
    reason: `${count} ${unit.replace('_', ' ')} in the window, ${needed} needed`,
    numbers: { [unit]: count },
  };
}

/** Wilson score interval of a proportion at z (1.96: 95%). */
export function wilson(successes: number, trials: number, z = 1.96): { low: number; high: number } {
  if (!trials) return { low: 0, high: 1 };
  const p = successes / trials;
  const denominator = 1 + (z * z) / trials;
  const center = (p + (z * z) / (2 * trials)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / trials + (z * z) / (4 * trials * trials))) / denominator;
  return { low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

/**
 * A rate (a guardrail's blocks per request) clearly above its baseline: the current rate's lower
 * confidence bound is above `ratio` times the baseline rate's upper bound.
 */
export function rateShift(
  current: { hits: number; total: number },
  baseline: { hits: number; total: number },
  ratio: number,
  minVolume: number,
): Verdict {
  // The window is judged at 99.7% (z 3): a pass a minute over many series tests it thousands of
  // times a week, and a night hour's handful of blocks at 95% crossed 2× by chance every few days.
  const now = wilson(current.hits, current.total, 3);
  const before = wilson(baseline.hits, baseline.total);
  const numbers = {
    rate: current.total ? current.hits / current.total : 0,
    baselineRate: baseline.total ? baseline.hits / baseline.total : 0,
    currentLow: now.low,
    baselineHigh: before.high,
    requests: current.total,
  };
  if (!baseline.total) return { state: 'no_data', reason: 'no baseline traffic', numbers };
  if (current.total < minVolume)
    return { state: 'low_volume', reason: `${current.total} counted in the window, ${minVolume} needed`, numbers };
  return now.low > ratio * before.high
    ? {
        state: 'fire',
        reason: `rate ${percent(numbers.rate)} against a baseline of ${percent(numbers.baselineRate)} (lower bound ${percent(now.low)} > ${ratio}× the baseline's upper bound)`,
        numbers,
      }
    : { state: 'ok', numbers };
}

export interface ShiftOptions {
  /** Relative change from the baseline median that matters, e.g. 0.3 for ±30%. */
  change: number;
  /** And a robust z-score at least this far from the median, either way. */
  sigmas: number;
  minBaseline: number;
}

/**
 * A value moved away from its baseline in either direction (answers suddenly shorter or longer):
 * both the relative change and the robust z-score must pass their bounds.
 */
export function robustShift(current: number, baseline: readonly number[], options: ShiftOptions): Verdict {
  const { center, robustZ } = robustScore(current, baseline);
  const change = center ? (current - center) / center : 0;
  const numbers = { current, median: center, change, robustZ, points: baseline.length };
  if (baseline.length < options.minBaseline)
    return { state: 'no_data', reason: `${baseline.length} baseline points, ${options.minBaseline} needed`, numbers };
  return Math.abs(change) >= options.change && Math.abs(robustZ) >= options.sigmas
    ? {
        state: 'fire',
        reason: `${round(current)} against a baseline median of ${round(center)} (${change > 0 ? '+' : ''}${percent(change)}, robust z ${round(robustZ)})`,
        numbers,
      }
    : { state: 'ok', numbers };
}

/**
 * A rate above an absolute bound (a guardrail's appealed blocks per block): its lower 95% bound
 * passes `maxRate`, on at least `minVolume` trials.
 */
export function rateAbove(current: { hits: number; total: number }, maxRate: number, minVolume: number): Verdict {
  const { low } = wilson(current.hits, current.total);
  const numbers = { rate: current.total ? current.hits / current.total : 0, lowerBound: low, trials: current.total };
  if (!current.total) return { state: 'no_data', reason: 'nothing to count in the window', numbers };
  if (current.total < minVolume)
    return { state: 'low_volume', reason: `${current.total} in the window, ${minVolume} needed`, numbers };
  return low > maxRate
    ? {
        state: 'fire',
        reason: `rate ${percent(numbers.rate)} (${current.hits} of ${current.total}; lower bound ${percent(low)} > ${percent(maxRate)})`,
        numbers,
      }
    : { state: 'ok', numbers };
}

/** A sample's size, mean and standard deviation (of judge scores, for instance). */
export interface SampleStats {
  n: number;
  mean: number;
  sd: number;
}

/**
 * A mean clearly below its baseline: down by at least `drop` (relative) and by at least `z`
 * standard errors of the difference (Welch), on at least `minSamples` samples now.
 */
export function meanDrop(
  current: SampleStats,
  baseline: SampleStats,
  options: { drop: number; z: number; minSamples: number },
): Verdict {
  const change = baseline.mean ? (current.mean - baseline.mean) / baseline.mean : 0;
  const standardError = Math.sqrt(
    (current.sd * current.sd) / Math.max(current.n, 1) + (baseline.sd * baseline.sd) / Math.max(baseline.n, 1),
  );
  const zScore = (baseline.mean - current.mean) / Math.max(standardError, 1e-9);
  const numbers = { mean: current.mean, baselineMean: baseline.mean, change, z: zScore, samples: current.n };
  if (baseline.n < options.minSamples)
    return { state: 'no_data', reason: `${baseline.n} baseline samples, ${options.minSamples} needed`, numbers };
  if (current.n < options.minSamples)
    return { state: 'low_volume', reason: `${current.n} samples now, ${options.minSamples} needed`, numbers };
  return -change >= options.drop && zScore >= options.z
    ? {
        state: 'fire',
        reason: `mean ${round(current.mean)} against a baseline of ${round(baseline.mean)} (${percent(change)}, z ${round(zScore)}, ${current.n} samples)`,
        numbers,
      }
    : { state: 'ok', numbers };
}

const round = (n: number) => Number(n.toFixed(2));
const percent = (n: number) => `${(100 * n).toFixed(2)}%`;
