import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Env } from '../../src/config/env';

// The release downloaded when neither PATH nor Debian's package has promtool (the last fallback).
const PROMETHEUS_RELEASE = '2.53.4';

const runs = (file: string) => spawnSync(file, ['--version'], { stdio: 'ignore' }).status === 0;

/**
 * Prometheus's promtool, which the tests use to check our rules and /metrics: $PROMTOOL, PATH,
 * the tools folder, else Debian's `prometheus` package (as root), else the official release into
 * the tools folder. Returns its path and where it came from.
 */
export function ensurePromtool(env: Env): { path: string; source: string } {
  if (process.env.PROMTOOL && runs(process.env.PROMTOOL)) return { path: process.env.PROMTOOL, source: 'PROMTOOL' };
  if (runs('promtool')) return { path: 'promtool', source: 'PATH' };
  const folder = path.join(env.flightdeckHome, 'tools', 'prometheus');
  const local = path.join(folder, 'promtool');
  if (runs(local)) return { path: local, source: 'tools-folder' };
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    const apt = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'prometheus'], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    if (apt.status === 0 && runs('promtool')) return { path: 'promtool', source: "Debian's prometheus package" };
  }
  const arch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  const name = `prometheus-${PROMETHEUS_RELEASE}.linux-${arch}`;
  const url = `https://github.com/prometheus/prometheus/releases/download/v${PROMETHEUS_RELEASE}/${name}.tar.gz`;
  mkdirSync(folder, { recursive: true });
  try {
    execFileSync('sh', ['-c', `curl -fsSL "${url}" | tar -xz -C "${folder}" --strip-components=1 "${name}/promtool"`], {
      stdio: 'ignore',
    });
  } catch {
    throw new Error(
      `promtool not found: install Prometheus (Debian: apt-get install prometheus) or set PROMTOOL; downloading ${url} failed too`,
    );
  }
  return { path: local, source: url };
}
