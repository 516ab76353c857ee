import { ApplicationFailure } from '@temporalio/workflow';
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

/**
 * An incident playbook (`incident/<kind>/<key>`): the incident is opened once, then its kind's
 * runbook takes it from mitigation to close. On-call's messages (resolve, ack, escalate, approve)
 * work the same in every kind.
 */
export async function incidentWorkflow(raw: IncidentInput, resume?: IncidentResume): Promise<IncidentView> {
  let input: Incident;
  try {
    input = parseIncidentInput(raw);
  } catch (error) {
    throw ApplicationFailure.nonRetryable((error as Error).message); // a bad start is not retried
  }
  const run = new IncidentRun(input, {
    kind: input.kind,
    key: input.key,
    status: resume ? 'mitigated' : 'mitigating',
    escalations: 0,
  });
  await run.open(resume?.incidentId);
  switch (input.kind) {
    case 'provider-outage':
      return providerOutagePlaybook(run, input, resume);
    case 'cost-runaway':
      return costRunawayPlaybook(run, input, resume);
    case 'quality-regression':
      return qualityRegressionPlaybook(run, input);
    case 'security':
      return securityPlaybook(run, input);
  }
}
