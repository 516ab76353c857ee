import type { PromptSpec } from '../registry/promptFile';
import { inCandidateBucket } from './bucketing';
import { inCohort, type CohortMember, type Tier } from './cohorts';

export interface RoutedVersion {
  version: string;
  spec: PromptSpec;
}

/** What one prompt serves: the stable version (its production label) and, optionally, a candidate and a shadow. */
export interface PromptRoute {
  prompt: string;
  stable: RoutedVersion;
  candidate?: RoutedVersion & { weightBp: number };
  cohorts: readonly Tier[];
  shadow?: RoutedVersion & { sampleBp: number };
  experimentId: string;
  /** The prompt's kill switch is on: every request for it is refused. */
  disabled?: boolean;
}

export type Variant = 'stable' | 'candidate';

export interface RouteChoice {
  variant: Variant;
  served: RoutedVersion;
}

/** The experiment id that keys bucketing when the route names none: one per candidate version. */
export function defaultExperimentId(prompt: string, candidateVersion: string): string {
  return `${prompt}@${candidateVersion}`;
}

/** Sticky choice of the version a request gets: candidate only inside the cohorts and the subject's bucket. */
/** The variant asked for (a synthetic tenant's canary): the candidate when one is live, else stable. */
export function pinnedVariant(route: PromptRoute, variant: 'stable' | 'candidate'): RouteChoice {
  return variant === 'candidate' && route.candidate
    ? { variant: 'candidate', served: route.candidate }
    : { variant: 'stable', served: route.stable };
}

export function chooseVariant(route: PromptRoute, tenant: CohortMember, subject: string): RouteChoice {
  const candidate = route.candidate;
  if (
    candidate &&
    inCohort(tenant, route.cohorts) &&
    inCandidateBucket(route.experimentId, subject, candidate.weightBp)
  ) {
    return { variant: 'candidate', served: candidate };
  }
  return { variant: 'stable', served: route.stable };
}
