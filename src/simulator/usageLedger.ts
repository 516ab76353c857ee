/** What one API served, per model and UTC minute: what the providers' usage reports are built from. */
export interface ServedUsage {
  requests: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
}

export type UsageApi = 'openai' | 'anthropic';
export type BucketWidth = '1m' | '1h' | '1d';

const WIDTH_MS: Record<BucketWidth, number> = { '1m': 60_000, '1h': 3_600_000, '1d': 86_400_000 };
/** Minutes kept per API and model: 31 days, what the providers' reports reach back at most. */
const KEPT_MS = 31 * 86_400_000;

export interface UsageBucket {
  start: number;
  end: number;
  /** Per model, or one entry keyed '' when not grouped by model. */
  byModel: Map<string, ServedUsage>;
}

const empty = (): ServedUsage => ({ requests: 0, inputTokens: 0, cachedInputTokens: 0, outputTokens: 0 });

/**
 * Every answer the simulator served, summed per API, model and minute, so it can report usage the
 * way OpenAI's organization usage and Anthropic's usage report do: from what it actually served.
 */
export class UsageLedger {
  private readonly minutes = new Map<string, ServedUsage>();

  record(api: UsageApi, model: string, at: number, usage: Omit<ServedUsage, 'requests'>): void {
    const minute = Math.floor(at / 60_000) * 60_000;
    const key = `${api}\n${model}\n${minute}`;
    let entry = this.minutes.get(key);
    if (!entry) {
      this.minutes.set(key, (entry = empty()));
      if (this.minutes.size % 1000 === 0) this.forgetBefore(at - KEPT_MS);
    }
    entry.requests += 1;
    entry.inputTokens += usage.inputTokens;
    entry.cachedInputTokens += usage.cachedInputTokens;
    entry.outputTokens += usage.outputTokens;
  }

  /**
   * At most `max` buckets of `width` from `from` (snapped to the bucket) towards `to`, empty ones
   * included, like the real reports (a page, never every minute since 1970).
   */
  buckets(api: UsageApi, from: number, to: number, width: BucketWidth, byModel: boolean, max: number): UsageBucket[] {
    const size = WIDTH_MS[width];
    const first = Math.floor(from / size) * size;
    const buckets: UsageBucket[] = [];
    for (let start = first; start < to && buckets.length < max; start += size)
      buckets.push({ start, end: start + size, byModel: new Map() });
    for (const [key, usage] of this.minutes) {
      const [entryApi, model, minuteText] = key.split('\n') as [string, string, string];
      const minute = Number(minuteText);
      if (entryApi !== api || minute < first || minute >= Math.min(to, first + buckets.length * size)) continue;
      const bucket = buckets[Math.floor((minute - first) / size)];
      if (!bucket) continue;
      const group = byModel ? model : '';
      const sum = bucket.byModel.get(group) ?? empty();
      sum.requests += usage.requests;
      sum.inputTokens += usage.inputTokens;
      sum.cachedInputTokens += usage.cachedInputTokens;
      sum.outputTokens += usage.outputTokens;
      bucket.byModel.set(group, sum);
    }
    return buckets;
  }

  clear(): void {
    this.minutes.clear();
  }

  private forgetBefore(cutoff: number): void {
    for (const key of this.minutes.keys()) if (Number(key.split('\n')[2]) < cutoff) this.minutes.delete(key);
  }
}
