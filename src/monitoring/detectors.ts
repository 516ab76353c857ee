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
  const center = median(baseline);
  const mad = median(baseline.map((v) => Math.abs(v - center)));
  const spread = Math.max(MAD_SCALE * mad, 1e-9);
  const numbers = { current, median: center, robustZ: (current - center) / spread, points: baseline.length };
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

/** The Google SRE workbook's multiwindow, multi-burn-rate alerts for a 30-day objective. */
export const SRE_BURN_RULES: readonly BurnRule[] = [
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
  const volume = byLength.get(rules[0]!.longMinutes)?.total ?? 0;
  if (volume < minVolume)
    return { state: 'low_volume', reason: `${volume} requests in the last hour, ${minVolume} needed`, numbers };
  return { state: 'ok', numbers };
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
  const now = wilson(current.hits, current.total);
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
    return { state: 'low_volume', reason: `${current.total} requests now, ${minVolume} needed`, numbers };
  return now.low > ratio * before.high
    ? {
        state: 'fire',
        reason: `rate ${percent(numbers.rate)} against a baseline of ${percent(numbers.baselineRate)} (lower bound ${percent(now.low)} > ${ratio}× the baseline's upper bound)`,
        numbers,
      }
    : { state: 'ok', numbers };
}

const round = (n: number) => Number(n.toFixed(2));
const percent = (n: number) => `${(100 * n).toFixed(2)}%`;
