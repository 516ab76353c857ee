import {
  burnRate,
  meanDrop,
  median,
  rateAbove,
  rateShift,
  robustShift,
  robustSpike,
  wilson,
} from '../../../src/monitoring/detectors';

// A seeded, repeatable series: hourly spend around $2 with ±20% noise.
function noisyHours(n: number, center: number, seed = 7): number[] {
  let state = seed;
  const next = () => (state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: n }, () => center * (0.8 + 0.4 * next()));
}

describe('robustSpike', () => {
  const options = { sigmas: 4, ratio: 3, floor: 1, minBaseline: 24 };
  it('fires on a tenant at five times its usual spend, with the numbers', () => {
    const verdict = robustSpike(10, noisyHours(28 * 8, 2), options);
    expect(verdict.state).toBe('fire');
    expect(verdict.numbers.median).toBeCloseTo(2, 0);
    expect(verdict.state === 'fire' && verdict.reason).toMatch(/×5/);
  });

  it('stays quiet on healthy noise, on small sums under the floor and on a ×2 bump', () => {
    const hours = noisyHours(28 * 8, 2);
    const fired = noisyHours(500, 2, 99).filter((v) => robustSpike(v, hours, options).state === 'fire');
    expect(fired).toEqual([]);
    expect(robustSpike(0.05, noisyHours(100, 0.01), options).state).toBe('ok'); // ×5 but cents
    expect(robustSpike(4, hours, options).state).toBe('ok');
  });

  it('says no data rather than passing when the baseline is too short', () => {
    expect(robustSpike(100, [1, 1, 1], options)).toMatchObject({ state: 'no_data' });
  });

  it('takes the median of even and odd counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});

describe('burnRate (SRE workbook windows, 99% objective)', () => {
  const windows = (rates: Record<number, number>, total = 1000) =>
    Object.entries(rates).map(([minutes, rate]) => ({ minutes: Number(minutes), bad: rate * total, total }));

  it('pages when both the hour and the last five minutes burn 14.4× the budget', () => {
    const verdict = burnRate(windows({ 5: 0.3, 30: 0.2, 60: 0.2, 360: 0.05, 4320: 0.01 }), 0.99, 50);
    expect(verdict).toMatchObject({ state: 'fire', severity: 'page' });
  });

  it('does not page once the fault stopped (short window back to normal), nor on a slow burn under every rate', () => {
    expect(burnRate(windows({ 5: 0, 30: 0.01, 60: 0.2, 360: 0.04, 4320: 0.005 }), 0.99, 50).state).toBe('ok');
    expect(burnRate(windows({ 5: 0.005, 30: 0.005, 60: 0.005, 360: 0.005, 4320: 0.005 }), 0.99, 50).state).toBe('ok');
  });

  it('opens a ticket for a steady 1× burn over three days and six hours', () => {
    const verdict = burnRate(windows({ 5: 0.011, 30: 0.011, 60: 0.011, 360: 0.012, 4320: 0.011 }), 0.99, 50);
    expect(verdict).toMatchObject({ state: 'fire', severity: 'ticket' });
  });

  it('reports too little traffic and no data instead of a pass', () => {
    expect(burnRate(windows({ 5: 1, 30: 1, 60: 1, 360: 1, 4320: 1 }, 10), 0.99, 50).state).toBe('low_volume');
    expect(burnRate(windows({ 5: 0, 60: 0 }, 0), 0.99, 50).state).toBe('no_data');
  });
});

describe('rateShift (guardrail block rate)', () => {
  it('fires when the block rate is clearly four times its baseline', () => {
    expect(rateShift({ hits: 80, total: 2000 }, { hits: 100, total: 10_000 }, 2, 100).state).toBe('fire');
  });

  it('stays quiet within noise and says when traffic is too thin to judge', () => {
    expect(rateShift({ hits: 12, total: 1000 }, { hits: 100, total: 10_000 }, 2, 100).state).toBe('ok');
    expect(rateShift({ hits: 5, total: 20 }, { hits: 100, total: 10_000 }, 2, 100).state).toBe('low_volume');
    expect(rateShift({ hits: 5, total: 200 }, { hits: 0, total: 0 }, 2, 100).state).toBe('no_data');
  });

  it('uses a Wilson interval that holds at 0 and 1', () => {
    expect(wilson(0, 100).low).toBe(0);
    expect(wilson(0, 100).high).toBeGreaterThan(0);
    expect(wilson(100, 100).high).toBeCloseTo(1, 12);
    expect(wilson(100, 100).low).toBeLessThan(1);
  });
});

describe('robustShift (answer length)', () => {
  const options = { change: 0.3, sigmas: 4, minBaseline: 24 };
  // Hourly mean answer lengths wander ±5%.
  const hours = noisyHours(28 * 8, 400).map((v) => 400 + (v - 400) / 4);
  it('fires when answers get 40% shorter, and when they get 60% longer', () => {
    const shorter = robustShift(240, hours, options);
    expect(shorter.state).toBe('fire');
    expect(shorter.numbers.change).toBeCloseTo(-0.4, 1);
    expect(robustShift(640, hours, options).state).toBe('fire');
  });

  it('stays quiet within the usual spread and on a change under the bound; no data on a short baseline', () => {
    expect(robustShift(430, hours, options).state).toBe('ok');
    // Far in z (a very steady baseline) but only 10% shorter.
    expect(robustShift(360, Array(48).fill(400), options).state).toBe('ok');
    expect(robustShift(100, hours.slice(0, 10), options).state).toBe('no_data');
  });
});

describe('meanDrop (judge scores)', () => {
  const options = { drop: 0.1, z: 3, minSamples: 20 };
  it('fires on a 15% drop well beyond the noise', () => {
    const verdict = meanDrop({ n: 60, mean: 0.72, sd: 0.1 }, { n: 500, mean: 0.85, sd: 0.1 }, options);
    expect(verdict.state).toBe('fire');
    expect(verdict.state === 'fire' && verdict.reason).toMatch(/-15\.29%/);
  });

  it('stays quiet on a drop within the noise of a small sample, on a rise, and under the relative bound', () => {
    expect(meanDrop({ n: 20, mean: 0.74, sd: 0.35 }, { n: 500, mean: 0.85, sd: 0.3 }, options).state).toBe('ok');
    expect(meanDrop({ n: 60, mean: 0.95, sd: 0.1 }, { n: 500, mean: 0.85, sd: 0.1 }, options).state).toBe('ok');
    expect(meanDrop({ n: 5000, mean: 0.8, sd: 0.1 }, { n: 5000, mean: 0.85, sd: 0.1 }, options).state).toBe('ok');
  });

  it('says too few samples now, and no data without a baseline', () => {
    expect(meanDrop({ n: 5, mean: 0.1, sd: 0 }, { n: 500, mean: 0.85, sd: 0.1 }, options).state).toBe('low_volume');
    expect(meanDrop({ n: 50, mean: 0.1, sd: 0 }, { n: 0, mean: 0, sd: 0 }, options).state).toBe('no_data');
  });
});

describe('rateAbove (appealed blocks per block)', () => {
  it('fires when the lower bound passes the limit, not on a couple of appeals among many blocks', () => {
    expect(rateAbove({ hits: 30, total: 100 }, 0.05, 20).state).toBe('fire');
    expect(rateAbove({ hits: 2, total: 100 }, 0.05, 20).state).toBe('ok');
    // 1 of 3 is 33%, but three blocks prove nothing.
    expect(rateAbove({ hits: 1, total: 3 }, 0.05, 20).state).toBe('low_volume');
    expect(rateAbove({ hits: 0, total: 0 }, 0.05, 20).state).toBe('no_data');
  });
});
