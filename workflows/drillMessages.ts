import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Attribution } from '../src/model/attribution';
import type { DrillView } from '../src/model/drill';

/**
 * Messages of the drill workflow (`drill/<kind>/<id>`), shared by the workflow and the CLI; the
 * same names work with `temporal workflow signal|query`.
 */
/** Stop the drill now: every fault it injected is reverted, its incident resolved, its report says aborted. */
export const abortDrillSignal = defineSignal<[Attribution]>('abort');
export const drillStatusQuery = defineQuery<DrillView>('status');
