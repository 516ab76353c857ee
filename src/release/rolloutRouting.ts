import { withTransaction, type Pool } from '../db/pool';
import { moveLabelWithin, PRODUCTION } from '../registry/labels';
import { TIERS, type Tier } from '../routing/cohorts';
import { ensureRouteWithin, type RouteChange } from '../routing/routeStore';

export interface StepRoute {
  prompt: string;
  version: string;
  weightBp: number;
  shadow: boolean;
  shadowSampleBp: number;
  actor: string;
  reason: string;
  /** The rollout's secret: bucketing hashes with it, so the candidate's users cannot be computed from public ids. */
  bucketSalt?: string;
}

/**
 * Who may get the candidate at a weight: free tenants first, smb from 5%, enterprise tenants that
 * opted in from 25% (an enterprise tenant that did not opt in never does; see `inCohort`).
 */
export function cohortsFor(weightBp: number): Tier[] {
  if (weightBp < 500) return ['free'];
  if (weightBp < 2500) return ['free', 'smb'];
  return [...TIERS];
}

/** Route one rollout step: the candidate at its weight for its cohorts, or (a shadow step) mirrored only. */
export function applyStepRoute(pool: Pool, step: StepRoute): Promise<{ effectiveAt: string; changed: boolean }> {
  const change: RouteChange = step.shadow
    ? {
        prompt: step.prompt,
        candidateVersion: null,
        weightBp: 0,
        shadowVersion: step.version,
        shadowSampleBp: step.shadowSampleBp,
        experimentId: null,
        actor: step.actor,
        reason: step.reason,
      }
    : {
        prompt: step.prompt,
        candidateVersion: step.version,
        weightBp: step.weightBp,
        cohorts: cohortsFor(step.weightBp),
        shadowVersion: null,
        shadowSampleBp: 0,
        experimentId: step.bucketSalt ? `${step.prompt}@${step.version}#${step.bucketSalt}` : null,
        actor: step.actor,
        reason: step.reason,
      };
  return withTransaction(pool, (client) => ensureRouteWithin(client, change));
}

export interface RestoreRequest {
  prompt: string;
  actor: string;
  reason: string;
  details?: Record<string, unknown>;
}

const stableOnly = (request: RestoreRequest): RouteChange => ({
  prompt: request.prompt,
  candidateVersion: null,
  weightBp: 0,
  shadowVersion: null,
  shadowSampleBp: 0,
  experimentId: null,
  actor: request.actor,
  reason: request.reason,
  details: request.details,
});

/** Abort: 100% back on stable in one routing write (audited with why); the candidate stays registered for a retry. */
export function restoreStable(pool: Pool, request: RestoreRequest): Promise<{ effectiveAt: string; changed: boolean }> {
  return withTransaction(pool, (client) => ensureRouteWithin(client, stableOnly(request)));
}

/**
 * Finish: production moves to the candidate and the route is cleared in one transaction, so no
 * gateway ever sees the old version as stable with the candidate gone, or both at once.
 */
export function promoteToProduction(
  pool: Pool,
  request: RestoreRequest & { version: string },
): Promise<{ effectiveAt: string; changed: boolean }> {
  return withTransaction(pool, async (client) => {
    const moved = await moveLabelWithin(client, {
      name: request.prompt,
      label: PRODUCTION,
      version: request.version,
      actor: request.actor,
      reason: request.reason,
    });
    const cleared = await ensureRouteWithin(client, stableOnly(request));
    return { effectiveAt: cleared.effectiveAt, changed: moved.changed };
  });
}
