import {
  ApplicationFailure,
  log,
  type ActivityOptions,
  proxyActivities,
  setCurrentDetails,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { RegistryActivities } from '../activities/registry';
import { FlightdeckPrompt, FlightdeckStage } from '../src/model/searchAttributes';

export interface LabelMoveInput {
  name: string;
  /** A version (1.2.0) or a label to copy from (staging). */
  ref: string;
  label: string;
  actor: string;
  reason: string;
  /** ISO time: wait until then before moving (e.g. release production on Monday 09:00). */
  notBefore?: string;
}

export interface LabelMoveOutput {
  name: string;
  label: string;
  from: string | null;
  to: string;
  changed: boolean;
}

const activityOptions: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 10, initialInterval: '1 second' },
};
const { resolvePromptVersion, moveLabel } = proxyActivities<RegistryActivities>(activityOptions);

export function labelMoveWorkflowId(name: string, label: string): string {
  return `label/${name}/${label}`;
}

/**
 * Move a label, optionally at a later time. The target is resolved up front so a typo fails at
 * once, not when the time comes; the move itself is one registry transaction with audit and NOTIFY.
 */
export async function labelMoveWorkflow(input: LabelMoveInput): Promise<LabelMoveOutput> {
  upsertSearchAttributes([
    { key: FlightdeckPrompt, value: input.name },
    { key: FlightdeckStage, value: 'scheduled' },
  ]);
  const target = await resolvePromptVersion.executeWithOptions(
    { ...activityOptions, summary: `resolve ${input.name}@${input.ref}` },
    [input.name, input.ref],
  );
  const details = (state: string) =>
    setCurrentDetails(
      `| prompt | label | version | state |\n|---|---|---|---|\n| ${input.name} | ${input.label} | ${target.version} | ${state} |`,
    );

  if (input.notBefore) {
    const waitMs = Date.parse(input.notBefore) - Date.now();
    if (Number.isNaN(waitMs))
      throw ApplicationFailure.nonRetryable(`notBefore "${input.notBefore}" is not an ISO time`, 'InputError');
    if (waitMs > 0) {
      details(`waiting until ${input.notBefore}`);
      await sleep(waitMs, { summary: `until ${input.notBefore}` });
    }
  }
  details('moving');
  const result = await moveLabel.executeWithOptions(
    { ...activityOptions, summary: `point ${input.label} at ${target.version}` },
    [{ name: input.name, label: input.label, version: target.version, actor: input.actor, reason: input.reason }],
  );
  upsertSearchAttributes([{ key: FlightdeckStage, value: 'done' }]);
  details(result.changed ? `moved from ${result.from ?? '(none)'}` : 'already there');
  log.info('label moved', { workflowId: workflowInfo().workflowId, ...result });
  return result;
}
