import type { Client } from '@temporalio/client';
import type { RolloutStage } from '../console/consoleData';
import { FlightdeckPrompt, FlightdeckStage, FlightdeckWeight } from '../model/searchAttributes';

/** Running rollouts and their stage and weight, from Temporal's visibility (the search attributes the UI shows). */
export async function liveRolloutStages(client: Client, limit = 100): Promise<RolloutStage[]> {
  const stages: RolloutStage[] = [];
  for await (const execution of client.workflow.list({
    query: `WorkflowType = 'rolloutWorkflow' AND ExecutionStatus = 'Running'`,
    pageSize: limit,
  })) {
    const attributes = execution.typedSearchAttributes;
    stages.push({
      prompt: attributes.get(FlightdeckPrompt) ?? execution.workflowId.replace(/^rollout\//, ''),
      workflowId: execution.workflowId,
      stage: attributes.get(FlightdeckStage) ?? 'starting',
      weightPercent: attributes.get(FlightdeckWeight) ?? 0,
    });
    if (stages.length >= limit) break;
  }
  return stages;
}
