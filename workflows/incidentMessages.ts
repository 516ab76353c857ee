import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Attribution } from '../src/model/attribution';
import type { IncidentView } from '../src/model/incident';

/**
 * Messages of the incident workflow (`incident/<kind>/<key>`), shared by the workflow and the CLI;
 * the same names work with `temporal workflow signal|query`.
 */
/** On-call ends the incident now: the mitigation is undone and the incident closes. */
export const resolveIncidentSignal = defineSignal<[Attribution]>('resolve');
export const incidentStatusQuery = defineQuery<IncidentView>('status');
