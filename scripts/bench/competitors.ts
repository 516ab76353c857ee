/**
 * Other gateways run against the same simulator, when they are installed in the tools folder:
 * `npm run bench:gateway -- --install-competitors` installs @portkey-ai/gateway (npm) and
 * litellm[proxy] (PyPI) there. Nothing of theirs is a dependency of Flightdeck.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { startChildServer } from './childServer';

const TOOLS = path.join(__dirname, '..', '..', '.flightdeck', 'tools');
const PORTKEY_DIR = path.join(TOOLS, 'portkey');
const PORTKEY_ENTRY = path.join(PORTKEY_DIR, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');
const LITELLM_VENV = path.join(TOOLS, 'litellm');
const LITELLM_BIN = path.join(LITELLM_VENV, 'bin', 'litellm');

export const PORTKEY_VERSION = '1.15.2';

export function installCompetitors(log: (line: string) => void): void {
  mkdirSync(TOOLS, { recursive: true });
  if (!existsSync(PORTKEY_ENTRY)) {
    log(`installing @portkey-ai/gateway@${PORTKEY_VERSION} into ${PORTKEY_DIR}…`);
    mkdirSync(PORTKEY_DIR, { recursive: true });
    execFileSync('npm', ['install', '--prefix', PORTKEY_DIR, '--no-save', '--no-audit', '--no-fund', `@portkey-ai/gateway@${PORTKEY_VERSION}`], { stdio: 'inherit' });
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

/** Start whichever competitors are installed, pointed at the simulator; the missing ones are named in `missing`. */
export async function startCompetitors(simulatorUrl: string, ports: { portkey: number; litellm: number }): Promise<{ running: Competitor[]; missing: string[] }> {
  const running: Competitor[] = [];
  const missing: string[] = [];
  if (existsSync(PORTKEY_ENTRY)) {
    const child = await startChildServer([PORTKEY_ENTRY, `--port=${ports.portkey}`, '--headless'], `http://127.0.0.1:${ports.portkey}/v1/models`);
    running.push({
      name: `portkey gateway ${PORTKEY_VERSION}`,
      url: `http://127.0.0.1:${ports.portkey}/v1/chat/completions`,
      headers: { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${simulatorUrl}/v1` },
      child,
    });
  } else missing.push('@portkey-ai/gateway');
  if (existsSync(LITELLM_BIN)) {
    const config = path.join(TOOLS, 'litellm-bench.yaml');
    writeFileSync(config, `model_list:\n  - model_name: sim-instant\n    litellm_params: { model: openai/sim-instant, api_base: "${simulatorUrl}/v1", api_key: sim }\n`);
    // A master key is required to start; the local cost map avoids a download that fails offline;
    // DATABASE_URL is ours, not LiteLLM's (it would try to set up its own tables there).
    const { DATABASE_URL: _ours, ...env } = process.env;
    const child = await startChildServer(['--config', config, '--port', String(ports.litellm)], `http://127.0.0.1:${ports.litellm}/health/liveliness`, {
      command: LITELLM_BIN,
      timeoutMs: 120_000,
      env: { ...env, LITELLM_MASTER_KEY: 'sk-bench', LITELLM_LOCAL_MODEL_COST_MAP: 'True' },
    });
    running.push({ name: `litellm proxy ${litellmVersion()}`, url: `http://127.0.0.1:${ports.litellm}/v1/chat/completions`, headers: { authorization: 'Bearer sk-bench' }, child });
  } else missing.push('litellm[proxy]');
  return { running, missing };
}

function litellmVersion(): string {
  try {
    return execFileSync(path.join(LITELLM_VENV, 'bin', 'python'), ['-c', 'import importlib.metadata as m; print(m.version("litellm"))'], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}
