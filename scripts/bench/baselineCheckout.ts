import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface BaselineCheckout {
  /** The commit, abbreviated, for the bench's labels. */
  commit: string;
  dir: string;
  remove(): void;
}

/**
 * An earlier commit of this repository checked out beside it (a detached git worktree sharing this
 * checkout's node_modules), so a benchmark can run the old and the new code side by side in one run
 * and report a ratio that this machine's drift cannot fake.
 */
export function checkoutBaseline(repo: string, rev: string): BaselineCheckout {
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();
  let commit: string;
  try {
    commit = git('rev-parse', '--short', `${rev}^{commit}`);
  } catch {
    throw new Error(`--baseline ${rev}: not a commit of this repository (try a hash from \`git log --oneline\`)`);
  }
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'fd-baseline-')), 'repo');
  git('worktree', 'add', '--detach', dir, commit);
  if (!existsSync(path.join(dir, 'node_modules')))
    symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'));
  return { commit, dir, remove: () => git('worktree', 'remove', '--force', dir) };
}
