import { z } from 'zod';

/** Who sent an on-call message (a signal or an update) and why; kept in the rollout's history. */
export interface Attribution {
  actor: string;
  reason?: string;
}

/** Longest actor and reason a rollout keeps: its state rides through continue-as-new, which Temporal caps at 2 MB. */
const MAX_ACTOR_CHARS = 100;
const MAX_REASON_CHARS = 500;

/** Who sent a signal without saying (the plain `temporal workflow signal` with no --input). */
const UNKNOWN_ACTOR = 'unknown (no actor given)';

/** An update's payload: who and why, strictly (an update can refuse, so it does). */
const attributionSchema = z.strictObject({
  actor: z
    .string({ error: 'actor is required: who sends this (e.g. "alice")' })
    .trim()
    .min(1, 'actor is required: who sends this (e.g. "alice")')
    .max(MAX_ACTOR_CHARS),
  reason: z.string().max(MAX_REASON_CHARS, `reason is at most ${MAX_REASON_CHARS} characters`).optional(),
});

/** An update's payload, or the message that says what is wrong with it. */
export function parseAttribution(raw: unknown): Attribution {
  const parsed = attributionSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new Error(
    `Invalid payload ${issue.path.length ? `at ${issue.path.join('.')}` : ''}: ${issue.message}. Send {"actor": "<who>", "reason": "<why>"}.`,
  );
}

const lenientSchema = z.union([
  z.undefined(),
  z.null(),
  z.object({ actor: z.unknown().optional(), reason: z.unknown().optional() }),
]);

/**
 * A signal's payload, made usable where it can be: a signal cannot refuse, so a missing payload or
 * actor gets UNKNOWN_ACTOR and over-long text is cut. Undefined when it is not a payload at all (a
 * string, a number): the workflow records that and ignores the signal.
 */
export function normaliseSignalAttribution(raw: unknown): Attribution | undefined {
  const parsed = lenientSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const value = parsed.data ?? {};
  const actor =
    typeof value.actor === 'string' && value.actor.trim()
      ? value.actor.trim().slice(0, MAX_ACTOR_CHARS)
      : UNKNOWN_ACTOR;
  const reason = typeof value.reason === 'string' && value.reason ? value.reason.slice(0, MAX_REASON_CHARS) : undefined;
  return { actor, reason };
}

/** A short, bounded description of a payload that was ignored, for the status and the UI. */
export function describeIgnoredPayload(raw: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(raw) ?? String(raw);
  } catch {
    text = String(raw);
  }
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
