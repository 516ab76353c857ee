import { defineSearchAttributeKey } from '@temporalio/common';

/** Typed search attributes (DESIGN §4) so the Temporal UI can filter Flightdeck workflows. */
export const FlightdeckPrompt = defineSearchAttributeKey('FlightdeckPrompt', 'KEYWORD');
export const FlightdeckStage = defineSearchAttributeKey('FlightdeckStage', 'KEYWORD');
export const FlightdeckWeight = defineSearchAttributeKey('FlightdeckWeight', 'INT');

export const FLIGHTDECK_SEARCH_ATTRIBUTES = [FlightdeckPrompt, FlightdeckStage, FlightdeckWeight];
