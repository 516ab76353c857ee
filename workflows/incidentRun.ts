import {
  type ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { IncidentActivities } from '../activities/incidents';
import { describeIgnoredPayload, normaliseSignalAttribution, type Attribution } from '../src/model/attribution';
import {
  type ApprovableStep,
  incidentDetails,
  parseApproval,
  type Approval,
  type Incident,
  type IncidentResume,
  type IncidentStatus,
  type IncidentView,
} from '../src/model/incident';
import { FlightdeckIncidentKind, FlightdeckIncidentStatus } from '../src/model/searchAttributes';
import {
  ackIncidentSignal,
  approveIncidentUpdate,
  escalateIncidentSignal,
  incidentStatusQuery,
  resolveIncidentSignal,
} from './incidentMessages';

const { openIncident, recordIncidentStep } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5, initialInterval: '1 second' },
});

/** What an approval wait ended with. */
export type ApprovalOutcome = 'approved' | 'refused' | 'timed-out' | 'resolved';

/**
 * What every playbook shares: the incident row and its timeline, the status wherever it shows
 * (query, search attribute, the UI's details), and on-call's messages: resolve, ack, escalate, and
 * approve for a rung that waits for a person. Each step recorded also notifies the webhook.
 */
export class IncidentRun {
  incidentId = 0;
  resolution?: Attribution;
  private answer?: Approval;
  private readonly stepsTaken = new Map<string, number>();

  constructor(
    readonly input: Incident,
    readonly view: IncidentView,
  ) {
    setHandler(incidentStatusQuery, () => this.view);
    setHandler(resolveIncidentSignal, (payload) => {
      this.resolution ??= this.attribution(payload);
    });
    setHandler(ackIncidentSignal, async (payload) => {
      const by = this.attribution(payload);
      if (!by || this.view.ackedBy) return;
      this.view.ackedBy = by.actor;
      this.show();
      await this.record('ack', by.actor, `acknowledged${by.reason ? `: ${by.reason}` : ''}`);
    });
    setHandler(escalateIncidentSignal, async (payload) => {
      const by = this.attribution(payload);
      if (!by) return;
      this.view.escalations += 1;
      this.show();
      await this.record('escalate', by.actor, `escalated by ${by.actor}${by.reason ? `: ${by.reason}` : ''}`);
    });
    setHandler(
      approveIncidentUpdate,
      async (approval) => {
        this.answer = approval;
        // Answered once the wait has taken it: the caller sees the rung no longer waiting.
        await condition(() => this.view.awaiting === undefined);
        return this.view;
      },
      { validator: (raw) => void parseApproval(raw, this.view.awaiting) },
    );
  }

  /** Opens the incident (once per run; a continued run carries its id) and records the detection. */
  async open(resumedId?: number): Promise<void> {
    upsertSearchAttributes([{ key: FlightdeckIncidentKind, value: this.input.kind }]);
    this.incidentId =
      resumedId ??
      (await openIncident({
        kind: this.input.kind,
        key: this.input.key,
        reason: this.input.reason,
        actor: this.input.actor,
        alertKey: this.input.alertKey,
      }));
    this.view.incidentId = this.incidentId;
    this.show();
  }

  /** The answer the last approval wait took (a key rotation's carries the new key's hash). */
  get approved(): Approval | undefined {
    return this.answer;
  }

  moveTo(status: IncidentStatus): void {
    this.view.status = status;
    upsertSearchAttributes([{ key: FlightdeckIncidentStatus, value: status }]);
    this.show();
  }

  show(): void {
    setCurrentDetails(incidentDetails(this.view));
  }

  /** One step of the timeline (a repeated step gets a number: "escalate 2"), written once and notified once. */
  async record(step: string, actor: string, message: string, details?: Record<string, unknown>): Promise<void> {
    const n = (this.stepsTaken.get(step) ?? 0) + 1;
    this.stepsTaken.set(step, n);
    await recordIncidentStep({
      incidentId: this.incidentId,
      step: n === 1 ? step : `${step} ${n}`,
      actor,
      message,
      status: this.view.status,
      details,
    });
  }

  /**
   * Wait for on-call to approve a rung, up to the policy's timeout: the wait shows in the status,
   * the UI and the webhook; `resolve` ends it too.
   */
  async approval(
    step: ApprovableStep,
    timeoutMinutes: number,
    onTimeout: 'proceed' | 'skip',
  ): Promise<ApprovalOutcome> {
    const before = this.view.status;
    // Cleared before the rung shows as waiting: an answer may arrive while the wait is being recorded.
    this.answer = undefined;
    this.view.awaiting = { step, until: new Date(Date.now() + timeoutMinutes * 60_000).toISOString(), onTimeout };
    this.moveTo('awaiting-approval');
    await this.record(
      `approval ${step}`,
      'flightdeck',
      `${step} waits for approval until ${this.view.awaiting.until} (then: ${onTimeout}): \`flightdeck incident approve ${workflowInfo().workflowId} --step ${step}\``,
    );
    const answered = await condition(
      () => this.answer !== undefined || this.resolution !== undefined,
      `${timeoutMinutes} minutes`,
    );
    this.view.awaiting = undefined;
    this.moveTo(before);
    if (this.resolution) return 'resolved';
    if (!answered) {
      await this.record(`timeout ${step}`, 'flightdeck', `nobody answered in ${timeoutMinutes} min: ${onTimeout}`);
      return 'timed-out';
    }
    const answer = this.answer!;
    await this.record(
      `${answer.approve ? 'approved' : 'refused'} ${step}`,
      answer.actor,
      `${step} ${answer.approve ? 'approved' : 'refused'}${answer.reason ? `: ${answer.reason}` : ''}`,
    );
    return answer.approve ? 'approved' : 'refused';
  }

  /**
   * The playbook can go no further by itself: the incident reads escalated (the webhook hears why)
   * and stays open until a person resolves it. Returns who did.
   */
  async escalateUntilResolved(why: string): Promise<Attribution> {
    this.moveTo('escalated');
    await this.record('escalate', 'flightdeck', `${why}; the incident stays open until on-call resolves it`);
    await condition(() => this.resolution !== undefined);
    return this.resolution!;
  }

  /** A step failed after its retries: the failure shows in the status and the incident escalates. */
  escalateFailure(error: ActivityFailure, why: (failure: string) => string): Promise<Attribution> {
    this.view.failure = error.cause?.message ?? error.message;
    return this.escalateUntilResolved(why(this.view.failure));
  }

  /** The same incident in a fresh run (its history kept short), carrying where the playbook stands. */
  continueAsNew(resume: IncidentResume): Promise<never> {
    return continueAsNew(this.input, resume);
  }

  /** Close the incident: resolved, by whom; the UI's details say so. */
  async close(by: Attribution): Promise<IncidentView> {
    await condition(allHandlersFinished);
    this.view.status = 'resolved';
    this.view.resolvedBy = by.actor;
    await this.record('close', by.actor, by.reason ?? 'resolved');
    upsertSearchAttributes([{ key: FlightdeckIncidentStatus, value: 'resolved' }]);
    setCurrentDetails(`**Incident resolved** by ${by.actor}${by.reason ? `: ${by.reason}` : ''}`);
    return this.view;
  }

  /** A signal payload made usable, or recorded as ignored (a signal cannot refuse). */
  private attribution(payload: unknown): Attribution | undefined {
    const by = normaliseSignalAttribution(payload);
    if (!by) this.view.ignored = `a message with payload ${describeIgnoredPayload(payload)}`;
    return by;
  }
}
