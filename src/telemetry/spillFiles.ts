import { appendFile, mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { LogEntry } from './requestRecord';

/**
 * Log entries that could not reach Postgres, kept as JSON lines under one folder until they can.
 * A file is claimed by renaming it before replay, so two gateways never replay the same file.
 */
export class SpillFiles {
  private readonly current: string;

  constructor(private readonly dir: string) {
    this.current = path.join(dir, `requests-${process.pid}-${Date.now()}.jsonl`);
  }

  async append(entries: readonly LogEntry[]): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await appendFile(this.current, entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
  }

  /** Rows Postgres refused for their data, kept for an operator to look at (never replayed). */
  async setAside(entries: readonly LogEntry[]): Promise<void> {
    const dir = path.join(this.dir, 'rejected');
    await mkdir(dir, { recursive: true });
    await appendFile(
      path.join(dir, `rejected-${process.pid}.jsonl`),
      entries.map((e) => `${JSON.stringify(e)}\n`).join(''),
    );
  }

  /** Files to replay: this process's own, and those left by processes that are gone. */
  async pending(): Promise<string[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names
      .filter((n) => n.endsWith('.jsonl') && !ownedByAnotherLiveProcess(n))
      .map((n) => path.join(this.dir, n));
  }

  /** Take one file for replay: its entries, and a function that deletes it once they are stored. */
  async claim(
    file: string,
  ): Promise<{ entries: LogEntry[]; done(): Promise<void>; release(): Promise<void> } | undefined> {
    const claimed = `${file}.replaying-${process.pid}`;
    try {
      await rename(file, claimed);
    } catch {
      return undefined; // another gateway took it first
    }
    const text = await readFile(claimed, 'utf8');
    const entries = text
      .split('\n')
      .filter((line) => line.trim())
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as LogEntry];
        } catch {
          return []; // a line cut short by a crash mid-write
        }
      });
    return {
      entries,
      done: () => rm(claimed, { force: true }),
      release: () => rename(claimed, file).catch(() => undefined),
    };
  }
}

function ownedByAnotherLiveProcess(name: string): boolean {
  const pid = Number(/^requests-(\d+)-/.exec(name)?.[1]);
  if (!pid || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
