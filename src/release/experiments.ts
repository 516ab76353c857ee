import { abReport, type AbLine } from '../analysis/abReport';
import { withTransaction, type Pool, type PoolClient } from '../db/pool';
import { InputError, NotFoundError } from '../errors';
import { lockLabel, PRODUCTION } from '../registry/labels';
import { versionStatus } from '../registry/registry';
import { FULL_WEIGHT_BP } from '../model/weights';
import { TIERS } from '../routing/cohorts';
import { hasLiveCandidate, setRouteWithin } from '../routing/routeStore';
import type { Judge } from '../evals/judge';
import { readCanaryWindow } from './canaryWindow';
import { scoreSampledOutputs } from './judgeSampling';

export interface Experiment {
  id: number;
  prompt: string;
  versionA: string;
  versionB: string;
  splitBp: number;
  startedBy: string;
  startedAt: Date;
  stoppedAt: Date | null;
}

interface ExperimentRow {
  id: string;
  prompt_name: string;
  version_a: string;
  version_b: string;
  split_bp: number;
  started_by: string;
  started_at: Date;
  stopped_at: Date | null;
}

const fromRow = (r: ExperimentRow): Experiment => ({
  id: Number(r.id),
  prompt: r.prompt_name,
  versionA: r.version_a,
  versionB: r.version_b,
  splitBp: r.split_bp,
  startedBy: r.started_by,
  startedAt: r.started_at,
  stoppedAt: r.stopped_at,
});

export interface ExperimentStart {
  prompt: string;
  versionA: string;
  versionB: string;
  splitBp: number;
  actor: string;
}

async function liveExperimentRow(
  db: Pool | PoolClient,
  prompt: string,
  lock: '' | 'FOR UPDATE' = '',
): Promise<ExperimentRow | undefined> {
  return (
    await db.query<ExperimentRow>(`SELECT * FROM experiments WHERE prompt_name = $1 AND stopped_at IS NULL ${lock}`, [
      prompt,
    ])
  ).rows[0];
}

/** The prompt's running experiment, if any: it owns the prompt's routing until stopped. */
export async function liveExperiment(db: Pool | PoolClient, prompt: string): Promise<Experiment | undefined> {
  const row = await liveExperimentRow(db, prompt);
  return row && fromRow(row);
}

/** The experiment's own bucketing key: users keep their arm for the whole experiment. */
const bucketingKey = (start: ExperimentStart, at: Date) =>
  `experiment:${start.prompt}:${start.versionA}:${start.versionB}:${at.getTime()}`;

/**
 * Hold a split between A (the production version, served as stable) and B, with no ramp. Starting
 * the same experiment again is a no-op; anything else live on the prompt (a canary, another
 * experiment) is refused.
 */
export function startExperiment(
  pool: Pool,
  start: ExperimentStart,
): Promise<{ experiment: Experiment; created: boolean }> {
  if (!Number.isInteger(start.splitBp) || start.splitBp < 1 || start.splitBp >= FULL_WEIGHT_BP)
    throw new InputError('--split must be a percentage of B above 0 and below 100');
  if (start.versionA === start.versionB) throw new InputError('An experiment needs two different versions');
  return withTransaction(pool, async (client) => {
    const found = await liveExperimentRow(client, start.prompt, 'FOR UPDATE');
    if (found) {
      if (found.version_a === start.versionA && found.version_b === start.versionB && found.split_bp === start.splitBp)
        return { experiment: fromRow(found), created: false };
      throw new InputError(
        `${start.prompt} already runs an experiment (${found.version_a} vs ${found.version_b}, ${found.split_bp / 100}% on B); stop it with \`flightdeck experiment stop ${start.prompt}\` first.`,
      );
    }
    const stable = await lockLabel(client, start.prompt, PRODUCTION);
    if (!stable) throw new NotFoundError(`Prompt "${start.prompt}" has no production version; push it first.`);
    if (stable !== start.versionA)
      throw new InputError(
        `Version A must be what production serves (${start.prompt}@${stable}); B (${start.versionB}) gets the split. To compare other versions, move production first.`,
      );
    if (await hasLiveCandidate(client, start.prompt))
      throw new InputError(
        `${start.prompt} has a live canary; let it finish or \`flightdeck rollout abort ${start.prompt}\` first.`,
      );
    const statusOfB = await versionStatus(client, start.prompt, start.versionB);
    if (!statusOfB)
      throw new NotFoundError(
        `${start.prompt} has no version ${start.versionB}; see \`flightdeck prompt history ${start.prompt}\`.`,
      );
    if (statusOfB === 'rejected')
      throw new InputError(`${start.prompt}@${start.versionB} was rejected and cannot be served.`);
    const key = bucketingKey(start, new Date());
    const inserted = await client.query<ExperimentRow>(
      `INSERT INTO experiments (prompt_name, version_a, version_b, split_bp, experiment_id, started_by) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
      [start.prompt, start.versionA, start.versionB, start.splitBp, key, start.actor],
    );
    await setRouteWithin(client, {
      prompt: start.prompt,
      candidateVersion: start.versionB,
      weightBp: start.splitBp,
      cohorts: [...TIERS],
      experimentId: key,
      shadowVersion: null,
      shadowSampleBp: 0,
      actor: start.actor,
      reason: `experiment ${start.versionA} vs ${start.versionB} started`,
    });
    return { experiment: fromRow(inserted.rows[0]!), created: true };
  });
}

/** The prompt's latest experiment, running or stopped. */
async function latestExperiment(pool: Pool, prompt: string): Promise<Experiment> {
  const { rows } = await pool.query<ExperimentRow>(
    'SELECT * FROM experiments WHERE prompt_name = $1 ORDER BY id DESC LIMIT 1',
    [prompt],
  );
  if (!rows[0])
    throw new NotFoundError(
      `${prompt} has no experiment. Start one with \`flightdeck experiment start ${prompt} <versionA> <versionB> --split 50\`.`,
    );
  return fromRow(rows[0]);
}

/** Stop the split: all traffic back on A (production). Stopping twice is a no-op. */
export function stopExperiment(
  pool: Pool,
  prompt: string,
  actor: string,
): Promise<{ experiment: Experiment; stopped: boolean }> {
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<ExperimentRow>(
      'UPDATE experiments SET stopped_at = now() WHERE prompt_name = $1 AND stopped_at IS NULL RETURNING *',
      [prompt],
    );
    if (!rows[0]) return { experiment: await latestExperiment(pool, prompt), stopped: false };
    await setRouteWithin(client, {
      prompt,
      candidateVersion: null,
      weightBp: 0,
      experimentId: null,
      actor,
      reason: `experiment ${rows[0].version_a} vs ${rows[0].version_b} stopped`,
    });
    return { experiment: fromRow(rows[0]), stopped: true };
  });
}

export interface ExperimentReport {
  experiment: Experiment;
  asOf: string;
  lines: AbLine[];
}

/**
 * Per metric, B against A since the start, with a sequential test that stays valid under daily
 * looks. With a judge, first scores up to `judgeSamples` more live answers per arm.
 */
export async function experimentReport(
  pool: Pool,
  prompt: string,
  options: { alpha?: number; judge?: Judge; judgeSamples?: number } = {},
): Promise<ExperimentReport> {
  const experiment = await latestExperiment(pool, prompt);
  const to = experiment.stoppedAt ?? new Date();
  const query = { prompt, candidateVersion: experiment.versionB, from: experiment.startedAt, to };
  if (options.judge) await scoreSampledOutputs(pool, options.judge, query, options.judgeSamples ?? 0);
  const window = await readCanaryWindow(pool, query);
  return { experiment, asOf: to.toISOString(), lines: abReport(window.stable, window.candidate, options.alpha) };
}
