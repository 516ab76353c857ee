/** What rolling a prompt back means now: abort its live canary, or move production back one release. */
export type RollbackPlan = { kind: 'abort-canary' } | { kind: 'label'; from: string; to: string };

/**
 * The rollback for a prompt answering worse: a live canary is the likeliest cause and aborting it
 * touches nothing else; else production's last release in the window is undone (to the version it
 * replaced). Undefined when nothing was released in the window: the cause is elsewhere (a provider
 * changing its model, the data), and a person must look.
 */
export function rollbackPlan(state: {
  liveCanary: boolean;
  production: string | null;
  rollbackTo: string | null;
}): RollbackPlan | undefined {
  if (state.liveCanary) return { kind: 'abort-canary' };
  if (state.production && state.rollbackTo && state.rollbackTo !== state.production)
    return { kind: 'label', from: state.production, to: state.rollbackTo };
  return undefined;
}

export function describeRollback(plan: RollbackPlan): string {
  return plan.kind === 'abort-canary'
    ? 'abort the live canary (100% back on stable)'
    : `production ${plan.from} -> ${plan.to}`;
}

/**
 * Why a prompt with nothing released regressed, as far as the changes tell: a drop the scheduled
 * eval saw points at the provider's model; without one, where to look.
 */
export function noReleaseFinding(changes: ReadonlyArray<{ action: string; reason: string | null }>): string {
  const drop = [...changes].reverse().find((c) => c.action === 'eval.drop');
  return drop
    ? `the scheduled eval saw a drop with nothing released, so the provider's model likely changed under its name (${drop.reason})`
    : "check the provider's model and the scheduled eval";
}
