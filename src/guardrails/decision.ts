export type GuardrailAction = 'allow' | 'flag' | 'redact' | 'block';

/** One guardrail's decision on one request, as recorded in the request log. */
export interface GuardrailRecord {
  id: string;
  decision: GuardrailAction;
  ms: number;
  detail?: string;
}

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
  });
  return result;
}
