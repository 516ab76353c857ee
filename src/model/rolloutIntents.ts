import type { Attribution } from './attribution';

/**
 * What on-call has asked a live rollout to do and it has not done yet. The first of each kind wins
 * (a second `rollback` while the first is being carried out changes nothing); `nextAction` decides
 * which of them goes first.
 */
export interface RolloutIntents {
  /** `rollback`: 100% back on stable, the rollout ends aborted. */
  abort?: Attribution;
  /** A newer candidate was promoted: back on stable, the rollout ends superseded. */
  supersede?: Attribution & { version: string };
  /** `rollout promote --full`: production moves to the candidate now. */
  finishNow?: Attribution;
  /** `rollout promote`: the current step is skipped. */
  skipStep?: Attribution;
}

export const hasIntent = (intents: RolloutIntents): boolean => Object.values(intents).some(Boolean);
