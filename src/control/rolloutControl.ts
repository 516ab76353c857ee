import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { Pool } from '../db/pool';
import { InputError, NotFoundError } from '../errors';
import { hasLiveCandidate } from '../routing/routeStore';
import { liveExperiment } from '../release/experiments';
import type { Attribution } from '../model/attribution';
import { cancelSignal, statusQuery } from '../../workflows/promotionMessages';
import {
  approveSignal,
  pauseSignal,
  finishNowUpdate,
  skipStepUpdate,
  resumeSignal,
  rollbackSignal,
  rolloutStatusQuery,
  rolloutWorkflowId,
} from '../../workflows/rolloutMessages';
import type { PromotionStatus } from '../model/promotionStatus';
import { latestRelease } from '../release/releaseStore';
import { restoreStable } from '../release/rolloutRouting';
import { isFinished, type RolloutStatus } from '../model/rolloutStatus';

/**
 * What `rollout …` and `rollback` do through Temporal: read a release's state, and send the
 * rollout its signals and updates. The same messages work with the plain `temporal` CLI.
 */

export interface ReleaseView {
  promotion?: PromotionStatus;
  /** The canary: live (queried) or final (from the promotion's result). */
  rollout?: RolloutStatus;
  /** Set when the route still sends traffic to a candidate that no rollout or experiment owns. */
  orphanedRoute?: string;
}

async function isRunning(handle: WorkflowHandle): Promise<boolean> {
  try {
    return (await handle.describe()).status.name === 'RUNNING';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}

/** The prompt's live rollout, or an error that says what to do instead. */
async function liveRollout(client: Client, prompt: string): Promise<WorkflowHandle> {
  const handle = client.workflow.getHandle(rolloutWorkflowId(prompt));
  if (!(await isRunning(handle)))
    throw new InputError(
      `${prompt} has no live rollout (rollout/${prompt}). Start one with \`flightdeck promote ${prompt}@<version> --dataset <file>\`; see \`flightdeck rollout status ${prompt}\`.`,
    );
  return handle;
}

/**
 * A route that still sends traffic to a candidate (or mirrors a shadow) while no rollout runs and
 * no experiment holds it: left behind by a terminated or failed workflow. Reported, with the fix.
 */
export async function orphanedRoute(client: Client, pool: Pool, prompt: string): Promise<string | undefined> {
  if (!(await hasLiveCandidate(pool, prompt))) return undefined;
  if (await isRunning(client.workflow.getHandle(rolloutWorkflowId(prompt)))) return undefined;
  if (await liveExperiment(pool, prompt)) return undefined;
  return `${prompt}'s route still sends traffic to a candidate, but no rollout/${prompt} is running (terminated or failed). \`flightdeck rollback ${prompt} --reason …\` puts 100% back on stable.`;
}

export async function releaseStatus(client: Client, pool: Pool, prompt: string): Promise<ReleaseView> {
  const orphaned = await orphanedRoute(client, pool, prompt);
  const view = await latestReleaseStatus(client, pool, prompt).catch((error: unknown) => {
    if (orphaned && error instanceof NotFoundError) return {};
    throw error;
  });
  return orphaned ? { ...view, orphanedRoute: orphaned } : view;
}

async function latestReleaseStatus(client: Client, pool: Pool, prompt: string): Promise<ReleaseView> {
  const release = await latestRelease(pool, prompt);
  const handle = client.workflow.getHandle(release.workflowId);
  const promotion: PromotionStatus = (await isRunning(handle))
    ? await handle.query(statusQuery)
    : await handle.result();
  if (promotion.rollout) return { promotion, rollout: promotion.rollout };
  if (promotion.stage !== 'rolling-out') return { promotion };
  const rollout = client.workflow.getHandle(rolloutWorkflowId(prompt));
  return {
    promotion,
    rollout: (await isRunning(rollout)) ? await rollout.query(rolloutStatusQuery) : await rollout.result(),
  };
}

/** Wait briefly until the workflow shows the signal's effect, so the caller prints the new state. */
async function settled(handle: WorkflowHandle, before: RolloutStatus): Promise<RolloutStatus> {
  for (let i = 0; i < 40; i++) {
    const now = await handle.query(rolloutStatusQuery);
    if (now.decisions.length !== before.decisions.length || isFinished(now)) return now;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return handle.query(rolloutStatusQuery);
}

export async function pauseOrResume(
  client: Client,
  prompt: string,
  action: 'pause' | 'resume',
  by: Attribution,
): Promise<RolloutStatus> {
  const handle = await liveRollout(client, prompt);
  const before = await handle.query(rolloutStatusQuery);
  if (action === 'pause' && before.paused)
    throw new InputError(
      `The rollout of ${prompt}@${before.version} is already paused; \`flightdeck rollout resume ${prompt}\` continues it.`,
    );
  if (action === 'resume' && !before.paused)
    throw new InputError(`The rollout of ${prompt}@${before.version} is not paused (${before.stage}).`);
  await handle.signal(action === 'pause' ? pauseSignal : resumeSignal, by);
  return settled(handle, before);
}

export async function approveStep(client: Client, prompt: string, by: Attribution): Promise<RolloutStatus> {
  const handle = await liveRollout(client, prompt);
  const before = await handle.query(rolloutStatusQuery);
  if (before.stage !== 'awaiting-approval') {
    throw new InputError(
      `The rollout of ${prompt}@${before.version} is not waiting for approval (${before.stage}); \`flightdeck rollout promote ${prompt}\` skips a timed hold.`,
    );
  }
  await handle.signal(approveSignal, by);
  return settled(handle, before);
}

/** `rollout promote` skips the current step, `--full` finishes now: updates, so a refusal comes back as an error. */
export async function skipStepOrFinishNow(
  client: Client,
  prompt: string,
  full: boolean,
  by: Attribution,
): Promise<RolloutStatus> {
  const handle = await liveRollout(client, prompt);
  return handle.executeUpdate(full ? finishNowUpdate : skipStepUpdate, { args: [by] });
}

/**
 * Stop the prompt's release: a live canary rolls back (100% on stable, candidate kept for a
 * retry); a promotion still evaluating is cancelled.
 */
export async function abortRelease(client: Client, pool: Pool, prompt: string, by: Attribution): Promise<ReleaseView> {
  if (await isRunning(client.workflow.getHandle(rolloutWorkflowId(prompt)))) {
    await rollbackCanary(client, prompt, by);
    return releaseStatus(client, pool, prompt);
  }
  const release = await latestRelease(pool, prompt);
  const promotion = client.workflow.getHandle(release.workflowId);
  if (!(await isRunning(promotion)))
    throw new InputError(
      `${prompt} has no live release to abort (the latest, ${release.workflowId}, has ended). \`flightdeck rollback ${prompt}\` moves production back.`,
    );
  await promotion.signal(cancelSignal, by);
  return releaseStatus(client, pool, prompt);
}

/** How long `flightdeck rollback` waits for the rollout to act before it writes the route itself. */
const ROLLBACK_WAIT_MS = 10_000;

class RolloutUnresponsive extends Error {}

/** `flightdeck rollback` during a canary: the rollout's `rollback` signal (one routing write, recorded by the workflow). */
export async function rollbackCanary(
  client: Client,
  prompt: string,
  by: Attribution,
  waitMs = ROLLBACK_WAIT_MS,
): Promise<RolloutStatus> {
  const handle = await liveRollout(client, prompt);
  await handle.signal(rollbackSignal, by);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new RolloutUnresponsive(`rollout/${prompt} did not finish its rollback within ${waitMs / 1000} s`)),
      waitMs,
    );
  });
  try {
    return await Promise.race([handle.result() as Promise<RolloutStatus>, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

export type CandidateRollback =
  { kind: 'canary-aborted'; rollout: RolloutStatus } | { kind: 'route-restored'; why: string };

/**
 * Put 100% back on stable whatever state the rollout is in: through the workflow when it answers,
 * else (no workflow, a stuck one, or Temporal unreachable) by writing the route directly, audited
 * with why. On-call's rollback never depends on the control plane being healthy.
 */
export async function rollbackCandidate(
  connect: () => Promise<Client>,
  pool: Pool,
  prompt: string,
  by: Attribution,
): Promise<CandidateRollback> {
  let why: string;
  try {
    return { kind: 'canary-aborted', rollout: await rollbackCanary(await connect(), prompt, by) };
  } catch (error) {
    why = error instanceof InputError ? `no live rollout/${prompt}` : (error as Error).message;
  }
  await restoreStable(pool, {
    prompt,
    actor: by.actor,
    reason: by.reason ?? 'rollback',
    details: { forced: true, why },
  });
  return { kind: 'route-restored', why };
}
