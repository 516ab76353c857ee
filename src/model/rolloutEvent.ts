/** A rollout event for people (a Slack-compatible webhook): start, each step, pause, abort, finish. */
export interface RolloutEvent {
  kind: 'start' | 'step' | 'pause' | 'resume' | 'abort' | 'complete' | 'supersede';
  prompt: string;
  version: string;
  /** One line for people: what happened and why. */
  text: string;
  workflowId: string;
}
