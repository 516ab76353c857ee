/** A bounded closed-loop load generator: `concurrency` callers, `total` requests, latencies kept. */
export interface LoadResult {
  requests: number;
  failures: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0;
}

export async function runLoad(call: () => Promise<void>, total: number, concurrency: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let issued = 0;
  let failures = 0;
  const start = performance.now();
  const caller = async () => {
    while (issued < total) {
      issued += 1;
      const t = performance.now();
      try {
        await call();
        latencies.push(performance.now() - t);
      } catch {
        failures += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  return summarize(latencies, failures, total, start);
}

function summarize(latencies: number[], failures: number, total: number, start: number): LoadResult {
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: total,
    failures,
    seconds: Number(seconds.toFixed(3)),
    perSecond: Math.round(total / seconds),
    p50Ms: Number(percentile(latencies, 50).toFixed(2)),
    p99Ms: Number(percentile(latencies, 99).toFixed(2)),
  };
}

/**
 * Open-loop load at a fixed rate (requests start on schedule whether or not earlier ones finished),
 * which is how overhead "at 1,000 requests/s" is meant: latency under a given arrival rate.
 */
export async function runPaced(call: () => Promise<void>, perSecond: number, seconds: number): Promise<LoadResult> {
  const latencies: number[] = [];
  let failures = 0;
  const total = Math.round(perSecond * seconds);
  const start = performance.now();
  const pending: Array<Promise<void>> = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const t = performance.now();
    pending.push(
      call().then(
        () => void latencies.push(performance.now() - t),
        () => void (failures += 1),
      ),
    );
  }
  await Promise.all(pending);
  return summarize(latencies, failures, total, start);
}
