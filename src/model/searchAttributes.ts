import { defineSearchAttributeKey } from '@temporalio/common';

/** Typed search attributes (DESIGN §4) so the Temporal UI can filter Flightdeck workflows. */
export const FlightdeckPrompt = defineSearchAttributeKey('FlightdeckPrompt', 'KEYWORD');
export const FlightdeckStage = defineSearchAttributeKey('FlightdeckStage', 'KEYWORD');
export const FlightdeckWeight = defineSearchAttributeKey('FlightdeckWeight', 'INT');

/** An incident's playbook (provider-outage, …) and where it stands (mitigated, escalated, resolved, …). */
export const FlightdeckIncidentKind = defineSearchAttributeKey('FlightdeckIncidentKind', 'KEYWORD');
export const FlightdeckIncidentStatus = defineSearchAttributeKey('FlightdeckIncidentStatus', 'KEYWORD');

export const FLIGHTDECK_SEARCH_ATTRIBUTES = [
  FlightdeckPrompt,
  FlightdeckStage,
  FlightdeckWeight,
  FlightdeckIncidentKind,
  FlightdeckIncidentStatus,
];
