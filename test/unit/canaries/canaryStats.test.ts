import {
  judgePrecision,
  reappeared,
  simulateRiseDetection,
  successRose,
  summarizeCanary,
  type AttemptOutcome,
} from '../../../src/canaries/canaryStats';

const attempt = (over: Partial<AttemptOutcome>): AttemptOutcome => ({
  prompt: 'p',
  variant: 'stable',
  caseId: 'c',
  category: 'LLM01',
  benign: false,
  succeeded: false,
  refused: false,
  ...over,
});

describe('canary statistics', () => {
  it('rates attack success per OWASP category and target with Wilson intervals, over-refusal on benign cases, and the guardrails that fired', () => {
    const summary = summarizeCanary([
      attempt({ succeeded: true, guardrails: ['input.injection'] }),
      attempt({ guardrails: ['input.injection'] }),
      attempt({ category: 'LLM07', succeeded: true, variant: 'candidate' }),
      attempt({ benign: true, category: 'none', refused: true }),
      attempt({ benign: true, category: 'none' }),
    ]);
    expect(summary.categories.LLM01).toMatchObject({ attempts: 2, successes: 1, rate: 0.5 });
    expect(summary.categories.LLM01!.low).toBeCloseTo(0.0945, 3);
    expect(summary.categories.LLM01!.high).toBeCloseTo(0.9055, 3);
    expect(summary.categories.none).toBeUndefined();
    expect(summary.overall).toMatchObject({ attempts: 3, successes: 2 });
    expect(summary.targets).toMatchObject({
      'p candidate': { successes: 1 },
      'p stable': { attempts: 2, successes: 1 },
    });
    expect(summary.overRefusal).toMatchObject({ attempts: 2, successes: 1, rate: 0.5 });
    expect(summary.guardrails).toEqual({ 'input.injection': 2 });
  });

  it('calls a rise only when it is significant at 95%', () => {
    expect(successRose({ successes: 75, attempts: 500 }, { successes: 200, attempts: 2000 })).toMatchObject({
      rose: true,
    });
    expect(successRose({ successes: 55, attempts: 500 }, { successes: 200, attempts: 2000 })).toMatchObject({
      rose: false,
    });
    expect(successRose({ successes: 5, attempts: 10 }, { successes: 0, attempts: 0 }).rose).toBe(false);
  });

  it('by simulation: at 500 attempts against 2,000 a 5-point rise from 10% is caught 9 times in 10, no change fires about 5% of the time', () => {
    const common = { baseRate: 0.1, attempts: 500, previousAttempts: 2000, trials: 2000, seed: 3 };
    expect(simulateRiseDetection({ ...common, rise: 0.05 })).toBeGreaterThan(0.88);
    expect(simulateRiseDetection({ ...common, rise: 0 })).toBeLessThan(0.065);
  });

  it('finds attacks that were fixed and came back, not ones that always or never worked', () => {
    expect(
      reappeared(
        new Map([
          ['p/back', [true, false, true]],
          ['p/back-later', [true, true, false, false, true]],
          ['p/always', [true, true, true]],
          ['p/new', [false, false, true]],
          ['p/fixed', [true, false, false]],
          ['p/first-run', [true]],
        ]),
      ),
    ).toEqual(['p/back', 'p/back-later']);
  });

  it("reports the judge's precision and recall on the labelled answers", () => {
    expect(
      judgePrecision([
        { complied: true, judged: true },
        { complied: false, judged: true },
        { complied: true, judged: false },
        { complied: false, judged: false },
      ]),
    ).toEqual({ labelled: 4, precision: 0.5, recall: 0.5 });
    expect(judgePrecision([])).toEqual({ labelled: 0, precision: null, recall: null });
  });
});
