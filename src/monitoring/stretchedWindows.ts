import type { Verdict } from './detectors';
import type { MonitorRule } from './monitorRules';

const MINUTE_MS = 60_000;

/**
 * Where a rule's windows start at `now`: its own length, then doubled while within `stretch` times
 * it. A short window sees a fault soon on busy series; on a quiet one (a prompt at night, a small
 * tenant's guardrail) it holds too few samples to judge, and a longer one still can.
 */
export function windowStarts(rule: Pick<MonitorRule, 'window_minutes' | 'stretch'>, now: Date): Date[] {
  const starts: Date[] = [];
  for (let k = 1; k <= rule.stretch; k *= 2) starts.push(new Date(now.getTime() - k * rule.window_minutes * MINUTE_MS));
  return starts;
}

/**
 * One verdict from a series judged over windows of growing length: the first that fires; else the
 * shortest that could judge (so the alert resolves once the short window is healthy); else the
 * shortest's "no data" or "too little traffic".
 */
export function firstFiring(verdicts: readonly Verdict[]): Verdict {
  return verdicts.find((v) => v.state === 'fire') ?? verdicts.find((v) => v.state === 'ok') ?? verdicts[0]!;
}
