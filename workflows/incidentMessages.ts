import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Attribution } from '../src/model/attribution';
import type { Approval, IncidentView } from '../src/model/incident';

/**
 * Messages of the incident workflow (`incident/<kind>/<key>`), shared by the workflow and the CLI;
 * the same names work with `temporal workflow signal|update|query`.
 */
/** On-call ends the incident now: the mitigation is undone and the incident closes. */
export const resolveIncidentSignal = defineSignal<[Attribution]>('resolve');
/** On-call has seen it (the first acknowledgement is kept, with who and when). */
export const ackIncidentSignal = defineSignal<[Attribution]>('ack');
/** Page the next person: notified again, marked escalated. */
export const escalateIncidentSignal = defineSignal<[Attribution]>('escalate');
/** Approve or refuse the rung waiting for approval; refused (an error) when that rung is not waiting. */
export const approveIncidentUpdate = defineUpdate<IncidentView, [Approval]>('approve');
export const incidentStatusQuery = defineQuery<IncidentView>('status');
