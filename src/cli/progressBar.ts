/** A one-line progress bar with ETA on a terminal; silent when stderr is not a TTY (CI logs, pipes). */
export class ProgressBar {
  private readonly started = Date.now();
  private last = 0;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(done: number, total: number): void {
    if (!this.stream.isTTY || total === 0) return;
    const now = Date.now();
    if (done < total && now - this.last < 100) return; // at most 10 redraws a second
    this.last = now;
    const width = 30;
    const filled = Math.round((done / total) * width);
    const elapsed = (now - this.started) / 1000;
    const eta = done > 0 ? Math.round((elapsed / done) * (total - done)) : 0;
    this.stream.write(
      `\r${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} ${Math.round((done / total) * 100)}% ETA ${eta}s `,
    );
    if (done === total) this.stream.write('\n');
  }
}
