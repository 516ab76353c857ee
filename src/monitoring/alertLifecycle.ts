import type { Verdict } from './detectors';

/**
 * The monitor pass's dedupe and cooldown, in memory, for replays (backtests, the decision
 * benchmark): one open alert per key; a key resolves when judged back in bounds and does not fire
 * again within the cooldown; "no data" and "too little traffic" change nothing.
 */
export class AlertLifecycle {
  private readonly open = new Set<string>();
  private readonly resolvedAt = new Map<string, number>();

  constructor(private readonly cooldownMs: number) {}

  /** One verdict of one series at `atMs`: true when it raises a new alert. */
  observe(key: string, state: Verdict['state'], atMs: number): boolean {
    if (state === 'fire') {
      const cooling = atMs - (this.resolvedAt.get(key) ?? -Infinity) < this.cooldownMs;
      if (cooling) return false;
      const raised = !this.open.has(key);
      this.open.add(key);
      return raised;
    }
    if (state === 'ok' && this.open.delete(key)) this.resolvedAt.set(key, atMs);
    return false;
  }
}
