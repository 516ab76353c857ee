import type { EvidenceAnswer } from './answerEvidence';
import type { AffectedRequest } from './securityEvidence';

/**
 * What an incident's `evidence` step keeps, by kind: a quality incident's worst-scored answers (and
 * its prompt), a security incident's affected requests (and how many more there were).
 */
export interface IncidentEvidence {
  prompt?: string;
  answers: EvidenceAnswer[];
  requests: AffectedRequest[];
  more: number;
}

/** The evidence step of a timeline, read in one place (empty when the incident kept none). */
export function incidentEvidence(
  timeline: ReadonlyArray<{ step: string; details: Record<string, unknown> }>,
): IncidentEvidence {
  const details = timeline.find((s) => s.step === 'evidence')?.details ?? {};
  return {
    prompt: typeof details.prompt === 'string' ? details.prompt : undefined,
    answers: (details.answers ?? []) as EvidenceAnswer[],
    requests: (details.requests ?? []) as AffectedRequest[],
    more: Number(details.more ?? 0),
  };
}
