import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { freePort } from '../harness/freePort';

const run = promisify(execFile);
const REPO = path.join(__dirname, '..', '..');

/**
 * Issue 10, item 19: the commands of examples/ci/eval-gate.yml, run as written (only the GitHub
 * expressions filled in), in a fresh project with nothing running: no DATABASE_URL, so every
 * command opens the embedded Postgres itself, and the simulator stands in for the providers.
 */
it('runs the eval-gate CI example as written, from a clean checkout with nothing running', async () => {
  const project = mkdtempSync(path.join(tmpdir(), 'fd-ci-'));
  const git = (...args: string[]) => run('git', args, { cwd: project });
  await git('init', '-q');
  await git('config', 'user.email', 'ci@example.com');
  await git('config', 'user.name', 'ci');
  mkdirSync(path.join(project, 'prompts'));
  mkdirSync(path.join(project, 'datasets'));
  copyFileSync(
    path.join(REPO, 'examples', 'prompts', 'support-answer.v1.0.0.yaml'),
    path.join(project, 'prompts', 'support-answer.v1.0.0.yaml'),
  );
  copyFileSync(
    path.join(REPO, 'examples', 'datasets', 'support-answer.yaml'),
    path.join(project, 'datasets', 'support-answer.yaml'),
  );
  copyFileSync(
    path.join(REPO, 'examples', 'labels', 'support-judge-labels.jsonl'),
    path.join(project, 'datasets', 'judge-labels.jsonl'),
  );
  await git('add', '.');
  await git('commit', '-qm', 'base');
  const base = (await git('rev-parse', 'HEAD')).stdout.trim();
  // The pull request: a new version of the prompt.
  copyFileSync(
    path.join(REPO, 'examples', 'prompts', 'support-answer.v1.1.0.yaml'),
    path.join(project, 'prompts', 'support-answer.v1.1.0.yaml'),
  );
  await git('add', '.');
  await git('commit', '-qm', 'pull request');
  // `npx flightdeck` resolves to this checkout, as it would to the installed package.
  mkdirSync(path.join(project, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(path.join(REPO, 'bin', 'flightdeck.js'), path.join(project, 'node_modules', '.bin', 'flightdeck'));
  writeFileSync(path.join(project, 'package.json'), '{"name":"app","private":true}\n');

  const workflow = parse(readFileSync(path.join(REPO, 'examples', 'ci', 'eval-gate.yml'), 'utf8')) as {
    jobs: { eval: { steps: Array<{ name?: string; run?: string }> } };
  };
  const steps = workflow.jobs.eval.steps.filter(
    (s) => s.name && ['Register prompts', 'Calibrate the judge', 'Eval gate'].includes(s.name),
  );
  expect(steps.map((s) => s.name)).toEqual(['Register prompts', 'Calibrate the judge', 'Eval gate']);

  const worktree = path.join(mkdtempSync(path.join(tmpdir(), 'fd-ci-base-')), 'base');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FLIGHTDECK_HOME: path.join(project, '.flightdeck'),
    FLIGHTDECK_POSTGRES_PORT: String(await freePort()),
    FLIGHTDECK_SIMULATOR_PORT: String(await freePort()),
    FLIGHTDECK_ACTOR: 'ci:test',
  };
  delete env.DATABASE_URL;
  for (const step of steps) {
    const script = step
      .run!.replaceAll('${{ github.event.pull_request.base.sha }}', base)
      .replaceAll('/tmp/base', worktree);
    const result = await run('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: project,
      env,
      maxBuffer: 32 * 1024 * 1024,
    }).catch((error: { code: number; stdout: string; stderr: string }) => {
      throw new Error(`step "${step.name}" exited ${error.code}:\n${error.stdout}\n${error.stderr}`);
    });
    expect(result.stderr).not.toMatch(/TypeError|unhookEvent|at .*\.ts:\d+/);
  }
  const report = readFileSync(path.join(project, 'report.md'), 'utf8');
  expect(report).toContain('support-answer');
  expect(report).toMatch(/gate/i);
}, 240_000);
