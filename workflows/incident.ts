import { ActivityFailure, workflowInfo } from '@temporalio/workflow';
import {
  parseIncidentInput,
  type Incident,
  type IncidentInput,
  type IncidentResume,
  type IncidentView,
} from '../src/model/incident';
import { costRunawayPlaybook } from './costRunawayPlaybook';
import { IncidentRun } from './incidentRun';
import { providerOutagePlaybook } from './providerOutagePlaybook';
import { qualityRegressionPlaybook } from './qualityRegressionPlaybook';
import { securityPlaybook } from './securityPlaybook';
import { parseStartInput } from './startInput';

/**
 * An incident playbook (`incident/<kind>/<key>`): the incident is opened once, then its kind's
 * runbook takes it from mitigation to close. On-call's messages (resolve, ack, escalate, approve)
 * work the same in every kind.
 */
export async function incidentWorkflow(raw: IncidentInput, resume?: IncidentResume): Promise<IncidentView> {
  const input: Incident = parseStartInput(parseIncidentInput, raw);
  const run = new IncidentRun(input, {
    kind: input.kind,
    key: input.key,
    status: resume ? 'mitigated' : 'mitigating',
    escalations: 0,
  });
  await run.open(resume?.incidentId);
  try {
    switch (input.kind) {
      case 'provider-outage':
        return await providerOutagePlaybook(run, input, resume);
      case 'cost-runaway':
        return await costRunawayPlaybook(run, input, resume);
      case 'quality-regression':
        return await qualityRegressionPlaybook(run, input);
      case 'security':
        return await securityPlaybook(run, input);
    }
  } catch (error) {
    // A step that failed after its retries: the incident stays open for a person, never resolved on a failure.
    if (!(error instanceof ActivityFailure) || run.view.status === 'resolved') throw error;
    const by = await run.escalateFailure(
      error,
      (failure) =>
        `a step failed (${failure}); what the playbook changed so far stays as it is: undo it by hand if needed (\`flightdeck incident show ${workflowInfo().workflowId}\` lists it)`,
    );
    return run.close(by);
  }
}
