import { z } from 'zod';
import { describeZodIssues, InputError } from '../errors';
import { DEFAULT_JUDGE_MODEL } from './evalDefaults';
import { modelIdSchema } from './textFields';

/** A weekly canary run's input: the suite (the repo's, unless a file is named) and its size. */
export const canaryInputSchema = z.strictObject({
  /** A suite file on the worker's disk; the repo's `canaries/jailbreaks.yaml` when absent. */
  suiteFile: z.string().min(1).max(1000).optional(),
  /** Attempts at least, spread over every target and case (repeats sample the model again). */
  attempts: z.number().int().min(1).max(100_000).default(500),
  judgeModel: modelIdSchema.default(DEFAULT_JUDGE_MODEL),
  /** Calls in flight at once through the gateway. */
  concurrency: z.number().int().min(1).max(64).default(8),
});
export type CanaryInput = z.output<typeof canaryInputSchema>;

export function parseCanaryInput(raw: unknown): CanaryInput {
  const parsed = canaryInputSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new InputError(describeZodIssues('The canary run', parsed.error.issues));
  return parsed.data;
}

/** ISO 8601 week of a date, e.g. 2026-W49: the canary's workflow id is `canaries/<week>`. */
export function isoWeek(date: Date): string {
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday); // the Thursday of this week decides its year
  const yearStart = Date.UTC(day.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((day.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}
