export type GuardrailAction = 'allow' | 'flag' | 'redact' | 'block';

/** One guardrail's decision on one request, as recorded in the request log. */
export interface StoredGuardrail {
  id: string;
  decision: GuardrailAction;
  ms: number;
  detail?: string;
}

/** A decision as the request keeps it: also when the guard started (epoch ms), for its span. */
export interface GuardrailRecord extends StoredGuardrail {
  startedAt: number;
}

/** The stored form: the start time lives in the span, not in the row. */
export const storedGuardrail = ({ startedAt: _, ...stored }: GuardrailRecord): StoredGuardrail => stored;

const SEVERITY: Record<GuardrailAction, number> = { allow: 0, flag: 1, redact: 2, block: 3 };

/** The request's overall decision: the most severe of its guardrails'. */
export function mostSevereAction(records: readonly GuardrailRecord[]): GuardrailAction {
  let worst: GuardrailAction = 'allow';
  for (const record of records) if (SEVERITY[record.decision] > SEVERITY[worst]) worst = record.decision;
  return worst;
}

/** Time one guardrail and record its decision. */
export function timed<T extends { decision: GuardrailAction; detail?: string }>(
  id: string,
  records: GuardrailRecord[],
  check: () => T,
): T {
  const started = performance.now();
  const result = check();
  records.push({
    id,
    decision: result.decision,
    ms: Number((performance.now() - started).toFixed(3)),
    ...(result.detail ? { detail: result.detail } : {}),
    startedAt: performance.timeOrigin + started,
  });
  return result;
}
