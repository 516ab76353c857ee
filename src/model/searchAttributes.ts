import { defineSearchAttributeKey } from '@temporalio/common';

/** Typed search attributes (DESIGN §4) so the Temporal UI can filter Flightdeck workflows. */
export const FlightdeckPrompt = defineSearchAttributeKey('FlightdeckPrompt', 'KEYWORD');
export const FlightdeckStage = defineSearchAttributeKey('FlightdeckStage', 'KEYWORD');
export const FlightdeckWeight = defineSearchAttributeKey('FlightdeckWeight', 'INT');

/** An incident's playbook (provider-outage, …) and where it stands (mitigated, escalated, resolved, …). */
export const FlightdeckIncidentKind = defineSearchAttributeKey('FlightdeckIncidentKind', 'KEYWORD');
export const FlightdeckIncidentStatus = defineSearchAttributeKey('FlightdeckIncidentStatus', 'KEYWORD');

/** A kill drill's kind (provider-kill, prompt-rollback): `drill abort` finds the running ones by it. */
export const FlightdeckDrillKind = defineSearchAttributeKey('FlightdeckDrillKind', 'KEYWORD');

export const FLIGHTDECK_SEARCH_ATTRIBUTES = [
  FlightdeckPrompt,
  FlightdeckStage,
  FlightdeckWeight,
  FlightdeckIncidentKind,
  FlightdeckIncidentStatus,
  FlightdeckDrillKind,
];
