/** Agreement between a judge and human labels: Cohen's kappa on pass/fail, Spearman on scores. */

/** Cohen's kappa for two raters' binary labels: (observed - chance) / (1 - chance). */
export function cohensKappa(a: boolean[], b: boolean[]): number {
  if (a.length !== b.length || a.length === 0) throw new Error('kappa needs two equally long, non-empty label lists');
  const n = a.length;
  let agree = 0;
  let aYes = 0;
  let bYes = 0;
  for (let i = 0; i < n; i++) {
    if (a[i] === b[i]) agree += 1;
    if (a[i]) aYes += 1;
    if (b[i]) bYes += 1;
  }
  const observed = agree / n;
  const chance = (aYes / n) * (bYes / n) + (1 - aYes / n) * (1 - bYes / n);
  return chance === 1 ? 1 : (observed - chance) / (1 - chance);
}

/** Ranks starting at 1, ties sharing their average rank. */
export function averageRanks(values: number[]): number[] {
  const order = values.map((value, index) => ({ value, index })).sort((x, y) => x.value - y.value);
  const ranks = new Array<number>(values.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]!.value === order[i]!.value) j += 1;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]!.index] = rank;
    i = j + 1;
  }
  return ranks;
}

function pearson(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i]! - mx) * (y[i]! - my);
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  return sxx === 0 || syy === 0 ? 0 : sxy / Math.sqrt(sxx * syy);
}

/** Spearman's rank correlation: Pearson on average ranks, so ties are handled correctly. */
export function spearman(x: number[], y: number[]): number {
  if (x.length !== y.length || x.length < 2)
    throw new Error('spearman needs two equally long lists of at least 2 values');
  return pearson(averageRanks(x), averageRanks(y));
}
