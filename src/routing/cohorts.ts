export const TIERS = ['free', 'smb', 'enterprise'] as const;
export type Tier = (typeof TIERS)[number];

export interface CohortMember {
  tier: Tier;
  experimentsOptIn: boolean;
}

/** Whether a tenant may see a candidate at all: its tier is in the cohorts, and enterprise only when it opted in. */
export function inCohort(tenant: CohortMember, cohorts: readonly Tier[]): boolean {
  if (!cohorts.includes(tenant.tier)) return false;
  return tenant.tier !== 'enterprise' || tenant.experimentsOptIn;
}
