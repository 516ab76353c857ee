import { averageRanks, cohensKappa, spearman } from '../../../src/analysis/agreement';

describe("Cohen's kappa", () => {
  it('matches a hand-computed table', () => {
    // 10 items: both yes 4, both no 3, A yes/B no 2, A no/B yes 1.
    // observed = 7/10 = 0.7; A yes 6/10, B yes 5/10; chance = 0.6*0.5 + 0.4*0.5 = 0.5; kappa = 0.2/0.5 = 0.4
    const a = [true, true, true, true, false, false, false, true, true, false];
    const b = [true, true, true, true, false, false, false, false, false, true];
    expect(cohensKappa(a, b)).toBeCloseTo(0.4, 10);
  });

  it('is 1 for perfect agreement and 0 for chance-level', () => {
    expect(cohensKappa([true, false, true], [true, false, true])).toBe(1);
    // observed 0.5, chance 0.5 -> 0
    expect(cohensKappa([true, true, false, false], [true, false, true, false])).toBeCloseTo(0, 10);
  });
});

describe('Spearman', () => {
  it('averages tied ranks', () => {
    expect(averageRanks([10, 20, 20, 30])).toEqual([1, 2.5, 2.5, 4]);
  });

  it('matches a hand-computed value without ties', () => {
    // ranks x: 1..5, ranks y: 2,1,4,3,5; d² = 1+1+1+1+0 = 4; rho = 1 - 6*4/(5*24) = 0.8
    expect(spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])).toBeCloseTo(0.8, 10);
  });

  it('is -1 for reversed order and handles ties', () => {
    expect(spearman([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 10);
    // x ranks 1,2.5,2.5,4 ; y ranks 1,2,3,4 -> pearson of ranks = 0.9486832980505138
    expect(spearman([1, 2, 2, 3], [1, 2, 3, 4])).toBeCloseTo(0.9486832980505138, 10);
  });
});
