import type { IncidentKind, IncidentStatus } from '../model/incident';

/** One step of an incident as the webhook carries it. */
export interface IncidentNotice {
  incidentId: number;
  workflowId: string;
  kind: IncidentKind;
  key: string;
  step: string;
  status: IncidentStatus;
  actor: string;
  message: string;
}

const ICON: Record<IncidentStatus, string> = {
  mitigating: ':fire_engine:',
  mitigated: ':shield:',
  'awaiting-approval': ':raised_hand:',
  restoring: ':arrows_counterclockwise:',
  resolved: ':white_check_mark:',
  escalated: ':rotating_light:',
};

/** Slack's incoming-webhook shape (`text`), plus the step itself for other receivers. */
export function incidentWebhookBody(notice: IncidentNotice): {
  text: string;
  flightdeck: { incident: IncidentNotice };
} {
  return {
    text: `${ICON[notice.status]} *incident #${notice.incidentId}* ${notice.workflowId} - ${notice.step} (${notice.status}) by ${notice.actor}: ${notice.message}`,
    flightdeck: { incident: notice },
  };
}
