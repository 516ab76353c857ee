/** Measures latency and time to first token for one provider call. */
export class Stopwatch {
  private readonly start = performance.now();
  private firstTokenAt: number | undefined;

  markFirstToken(): void {
    this.firstTokenAt ??= performance.now();
  }

  ttftMs(): number {
    return Math.round((this.firstTokenAt ?? performance.now()) - this.start);
  }

  elapsedMs(): number {
    return Math.round(performance.now() - this.start);
  }
}
