/**
 * Many simulated canaries through the real canary judge and step policy (src/analysis,
 * src/release): synthetic traffic per analysis interval, windows that grow from each step's start
 * (the workflow looks back at most ten intervals: the same window while a step advances at the end
 * of its 10-interval hold, a larger one here when it holds longer), distributions sampled like the
 * request-log reader does. Pure and seeded: no servers.
 */
import { emptyWindow, judgeWindow, type VariantWindow } from '../../src/analysis/canaryJudge';
import { stepOutcome, DEFAULT_LIMITS, tally, type StepTally } from '../../src/model/analysisPolicy';
import { DISTRIBUTION_SAMPLE_CAP } from '../../src/release/canaryWindow';
import { Random } from '../../src/simulator/random';

export interface TrafficShape {
  errorRate: number;
  /** Latencies above the healthy p90 are multiplied by this (1.5: p99 +50%, median unchanged). */
  tailFactor: number;
  judgeMean: number;
}

export const HEALTHY: TrafficShape = { errorRate: 0.01, tailFactor: 1, judgeMean: 0.8 };

export interface SimulationSettings {
  requestsPerSecond: number;
  /** Weights in basis points with their holds in minutes; the last step (100%) is the promotion. */
  steps: Array<{ weightBp: number; holdMinutes: number }>;
  intervalMinutes: number;
  judgeSamplesPerInterval: number;
}

export interface CanaryOutcome {
  outcome: 'completed' | 'aborted' | 'paused';
  minutes: number;
  /** Requests the candidate served before the outcome. */
  candidateRequests: number;
  stepIndex: number;
  failedMetrics: string[];
}

const MEDIAN_MS = 300;
const SIGMA = 0.5;
const P90_MS = MEDIAN_MS * Math.exp(SIGMA * 1.2816);

class Side {
  readonly window: VariantWindow = emptyWindow();
  private served = 0;

  constructor(
    private readonly shape: TrafficShape,
    private readonly random: Random,
  ) {}

  private normal(): number {
    return Math.sqrt(-2 * Math.log(1 - this.random.next())) * Math.cos(2 * Math.PI * this.random.next());
  }

  private latency(): number {
    const base = MEDIAN_MS * Math.exp(SIGMA * this.normal());
    return base > P90_MS ? base * this.shape.tailFactor : base;
  }

  /** n requests: counts exact, distributions kept as a uniform sample of at most the reader's cap (reservoir). */
  add(n: number, judged: number): void {
    const w = this.window;
    for (let i = 0; i < n; i++) {
      w.requests++;
      if (this.random.next() < this.shape.errorRate) {
        w.errors++;
        continue;
      }
      if (this.random.next() < 0.01) w.refusals++;
      this.served++;
      const slot =
        w.latenciesMs.length < DISTRIBUTION_SAMPLE_CAP
          ? w.latenciesMs.length
          : Math.floor(this.random.next() * this.served);
      if (slot < DISTRIBUTION_SAMPLE_CAP) {
        w.latenciesMs[slot] = this.latency();
        w.costsUsd[slot] = 0.0005 + 0.0005 * this.random.next();
      }
    }
    for (let i = 0; i < judged; i++)
      w.judgeScores.push(Math.min(1, Math.max(0, this.shape.judgeMean + 0.1 * this.normal())));
  }
}

/** One canary from its first step to promotion, abort or a pause for a human. */
export function simulateCanary(candidate: TrafficShape, settings: SimulationSettings, seed: number): CanaryOutcome {
  const random = new Random(seed);
  let minutes = 0;
  let candidateRequests = 0;
  const perInterval = settings.requestsPerSecond * 60 * settings.intervalMinutes;
  const ramp = settings.steps.slice(0, -1);
  for (const [stepIndex, step] of ramp.entries()) {
    const canary = new Side(candidate, random);
    const stable = new Side(HEALTHY, random);
    let state: StepTally = { failures: 0, inconclusiveInARow: 0 };
    for (let held = settings.intervalMinutes; ; held += settings.intervalMinutes) {
      minutes += settings.intervalMinutes;
      const toCanary = Math.round((perInterval * step.weightBp) / 10_000);
      canary.add(toCanary, settings.judgeSamplesPerInterval);
      stable.add(perInterval - toCanary, settings.judgeSamplesPerInterval);
      candidateRequests += toCanary;
      const verdict = judgeWindow(canary.window, stable.window);
      state = tally(state, verdict.verdict);
      const decision = stepOutcome(state, held >= step.holdMinutes, DEFAULT_LIMITS);
      const failedMetrics = verdict.metrics.filter((m) => m.verdict === 'fail').map((m) => m.metric);
      if (decision === 'abort') return { outcome: 'aborted', minutes, candidateRequests, stepIndex, failedMetrics };
      if (decision === 'pause') return { outcome: 'paused', minutes, candidateRequests, stepIndex, failedMetrics };
      if (decision === 'advance') break;
    }
  }
  return { outcome: 'completed', minutes, candidateRequests, stepIndex: settings.steps.length - 1, failedMetrics: [] };
}
