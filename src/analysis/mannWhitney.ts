import { normalUpperTail } from './normal';

export type Alternative = 'two-sided' | 'greater' | 'less';

export interface MannWhitneyResult {
  /** U of the first sample: how many (x, y) pairs have x above y, ties counting half. */
  u: number;
  z: number;
  pValue: number;
}

/**
 * Mann-Whitney U with the normal approximation, tie correction and continuity correction (the
 * same numbers as scipy's `mannwhitneyu(method='asymptotic')`). `greater`: x tends to be larger.
 * Rank-based, so a few huge latencies cannot dominate it the way they dominate a mean.
 */
export function mannWhitneyU(
  x: readonly number[],
  y: readonly number[],
  alternative: Alternative = 'two-sided',
): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (!n1 || !n2) throw new Error('Mann-Whitney U needs at least one value in each sample');
  const all = [...x.map((v) => ({ v, first: true })), ...y.map((v) => ({ v, first: false }))].sort((a, b) => a.v - b.v);
  const n = all.length;
  let rankSumX = 0;
  let tieTerm = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && all[j + 1]!.v === all[i]!.v) j++;
    const rank = (i + j + 2) / 2; // ranks are 1-based; ties share their average
    const t = j - i + 1;
    tieTerm += t ** 3 - t;
    for (let k = i; k <= j; k++) if (all[k]!.first) rankSumX += rank;
    i = j + 1;
  }
  const u1 = rankSumX - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const sd = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  if (sd === 0) return { u: u1, z: 0, pValue: 1 };
  const u = alternative === 'less' ? n1 * n2 - u1 : alternative === 'two-sided' ? Math.max(u1, n1 * n2 - u1) : u1;
  const z = (u - mean - 0.5) / sd;
  const p = normalUpperTail(z);
  return { u: u1, z, pValue: Math.min(1, alternative === 'two-sided' ? 2 * p : p) };
}
