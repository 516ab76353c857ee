import { math } from './mathjs';

// Two-sided 95% t quantiles for 1..30 degrees of freedom; beyond that the normal 1.96 is close enough.
const T95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
  2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function tQuantile95(degreesOfFreedom: number): number {
  return degreesOfFreedom >= 1 && degreesOfFreedom <= 30 ? T95[degreesOfFreedom - 1]! : 1.96;
}

export interface Estimate {
  mean: number;
  /** 95% confidence interval; equal to the mean when n < 2. */
  low: number;
  high: number;
  n: number;
}

/** Mean with a 95% t interval. */
export function meanEstimate(values: number[]): Estimate {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, low: Number.NaN, high: Number.NaN, n };
  const m = Number(math().mean(values));
  if (n < 2) return { mean: m, low: m, high: m, n };
  const half = (tQuantile95(n - 1) * Number(math().std(values, 'unbiased'))) / Math.sqrt(n);
  return { mean: m, low: m - half, high: m + half, n };
}

/** A proportion with its 95% Wilson interval (well-behaved near 0 and 1, unlike mean ± 2 SE). */
export function proportionEstimate(successes: number, n: number): Estimate {
  if (n === 0) return { mean: Number.NaN, low: Number.NaN, high: Number.NaN, n };
  const z = 1.96;
  const p = successes / n;
  const denominator = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denominator;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denominator;
  return { mean: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half), n };
}

export interface PairedComparison {
  /** Candidate minus baseline, averaged over cases present in both. */
  difference: Estimate;
  wins: number;
  losses: number;
  ties: number;
  /** Two-sided exact sign-test p-value over wins and losses. */
  pValue: number;
}

function binomialTwoSided(k: number, n: number): number {
  if (n === 0) return 1;
  const lower = Math.min(k, n - k);
  let tail = 0;
  let term = Math.pow(0.5, n); // C(n,0) / 2^n
  for (let i = 0; i <= lower; i++) {
    tail += term;
    term = (term * (n - i)) / (i + 1);
  }
  return Math.min(1, 2 * tail);
}

/** Per-case paired comparison: the same cases scored for candidate and baseline. */
export function pairedComparison(candidate: Map<string, number>, baseline: Map<string, number>): PairedComparison {
  const diffs: number[] = [];
  let wins = 0;
  let losses = 0;
  let ties = 0;
  for (const [id, score] of candidate) {
    const base = baseline.get(id);
    if (base === undefined) continue;
    const d = score - base;
    diffs.push(d);
    if (Math.abs(d) < 1e-9) ties += 1;
    else if (d > 0) wins += 1;
    else losses += 1;
  }
  return { difference: meanEstimate(diffs), wins, losses, ties, pValue: binomialTwoSided(wins, wins + losses) };
}
