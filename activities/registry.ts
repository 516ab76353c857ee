import type { Pool } from '../src/db/pool';
import { moveLabel, type LabelMoveResult } from '../src/registry/labels';
import { resolvePrompt } from '../src/registry/registry';

export interface ResolvedVersion {
  name: string;
  version: string;
  contentHash: string;
  model: string;
}

/** Registry activities: thin wrappers over src/registry, bound to the worker's pool (bad input fails fast: workers/failFastOnBadInput). */
export function createRegistryActivities(pool: Pool) {
  return {
    async resolvePromptVersion(name: string, ref: string): Promise<ResolvedVersion> {
      const found = await resolvePrompt(pool, name, ref);
      return { name: found.name, version: found.version, contentHash: found.contentHash, model: found.spec.model };
    },
    async moveLabel(input: {
      name: string;
      label: string;
      version: string;
      actor: string;
      reason: string;
    }): Promise<LabelMoveResult> {
      return moveLabel(pool, input);
    },
  };
}

export type RegistryActivities = ReturnType<typeof createRegistryActivities>;
