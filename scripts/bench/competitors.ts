/**
 * Other gateways run against the same simulator, when they are installed in the tools folder:
 * `npm run bench:gateway -- --install-competitors` installs @portkey-ai/gateway (npm) and
 * litellm[proxy] (PyPI) there. Nothing of theirs is a dependency of Flightdeck. Each runs alone:
 * started for its measurement and stopped after it, so a backlog cannot slow what follows.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { startChildServer } from './childServer';

const TOOLS = path.join(__dirname, '..', '..', '.flightdeck', 'tools');
const PORTKEY_DIR = path.join(TOOLS, 'portkey');
const PORTKEY_ENTRY = path.join(PORTKEY_DIR, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');
const LITELLM_VENV = path.join(TOOLS, 'litellm');
const LITELLM_BIN = path.join(LITELLM_VENV, 'bin', 'litellm');

const PORTKEY_VERSION = '1.15.2';

export function installCompetitors(log: (line: string) => void): void {
  mkdirSync(TOOLS, { recursive: true });
  if (!existsSync(PORTKEY_ENTRY)) {
    log(`installing @portkey-ai/gateway@${PORTKEY_VERSION} into ${PORTKEY_DIR}…`);
    mkdirSync(PORTKEY_DIR, { recursive: true });
    execFileSync(
      'npm',
      [
        'install',
        '--prefix',
        PORTKEY_DIR,
        '--no-save',
        '--no-audit',
        '--no-fund',
        `@portkey-ai/gateway@${PORTKEY_VERSION}`,
      ],
      { stdio: 'inherit' },
    );
  }
  if (!existsSync(LITELLM_BIN)) {
    log(`installing litellm[proxy] into ${LITELLM_VENV}…`);
    execFileSync('python3', ['-m', 'venv', LITELLM_VENV], { stdio: 'inherit' });
    execFileSync(path.join(LITELLM_VENV, 'bin', 'pip'), ['install', '--quiet', 'litellm[proxy]'], { stdio: 'inherit' });
  }
}

export interface Competitor {
  name: string;
  url: string;
  headers: Record<string, string>;
  child: ChildProcess;
}

/** A competitor that is installed and can be started against the simulator. */
export interface CompetitorSpec {
  name: string;
  /** How it runs, configured as its own documentation recommends for production; printed with the results. */
  configuration: string;
  start(simulatorUrl: string, port: number): Promise<Competitor>;
}

const CORES = availableParallelism();

const portkey: CompetitorSpec = {
  name: `portkey gateway ${PORTKEY_VERSION}`,
  // Its Node build is one process (no worker option); headless: no console UI.
  configuration: 'node start-server.js --headless (one process, as published; no worker option)',
  async start(simulatorUrl, port) {
    const child = await startChildServer(
      [PORTKEY_ENTRY, `--port=${port}`, '--headless'],
      `http://127.0.0.1:${port}/v1/models`,
    );
    return {
      name: this.name,
      url: `http://127.0.0.1:${port}/v1/chat/completions`,
      headers: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${simulatorUrl}/v1` },
      child,
    };
  },
};

const litellm = (): CompetitorSpec => ({
  name: `litellm proxy ${litellmVersion()}`,
  // docs.litellm.ai/docs/proxy/prod: a worker per core, set_verbose off, no callbacks, errors-only logging.
  configuration: `litellm --num_workers ${CORES}, set_verbose: False, no callbacks, LITELLM_LOG=ERROR, no database`,
  async start(simulatorUrl, port) {
    const config = path.join(TOOLS, 'litellm-bench.yaml');
    writeFileSync(
      config,
      `model_list:\n  - model_name: sim-instant\n    litellm_params: { model: openai/sim-instant, api_base: "${simulatorUrl}/v1", api_key: sim }\n` +
        `litellm_settings:\n  set_verbose: False\n  request_timeout: 600\n`,
    );
    // A master key is required to start; the local cost map avoids a download that fails offline;
    // DATABASE_URL is ours, not LiteLLM's (it would try to set up its own tables there).
    const { DATABASE_URL: _ours, ...env } = process.env;
    const child = await startChildServer(
      ['--config', config, '--port', String(port), '--num_workers', String(CORES)],
      `http://127.0.0.1:${port}/health/liveliness`,
      {
        command: LITELLM_BIN,
        timeoutMs: 120_000,
        env: { ...env, LITELLM_MASTER_KEY: 'sk-bench', LITELLM_LOCAL_MODEL_COST_MAP: 'True', LITELLM_LOG: 'ERROR' },
      },
    );
    return {
      name: this.name,
      url: `http://127.0.0.1:${port}/v1/chat/completions`,
      headers: { authorization: 'Bearer sk-bench' },
      child,
    };
  },
});

/** The competitors installed in the tools folder, and the names of those that are not. */
export function competitorSpecs(): { installed: CompetitorSpec[]; missing: string[] } {
  const installed: CompetitorSpec[] = [];
  const missing: string[] = [];
  if (existsSync(PORTKEY_ENTRY)) installed.push(portkey);
  else missing.push('@portkey-ai/gateway');
  if (existsSync(LITELLM_BIN)) installed.push(litellm());
  else missing.push('litellm[proxy]');
  return { installed, missing };
}

function litellmVersion(): string {
  try {
    return execFileSync(
      path.join(LITELLM_VENV, 'bin', 'python'),
      ['-c', 'import importlib.metadata as m; print(m.version("litellm"))'],
      { encoding: 'utf8' },
    ).trim();
  } catch {
    return '';
  }
}
