import { InputError } from '../errors';
import { FULL_WEIGHT_BP } from './weights';

/** One step of a rollout: the candidate's weight in basis points, held this long (null: until `approve`). */
export interface RolloutStep {
  weightBp: number;
  holdMs: number | null;
  /** A shadow step mirrors traffic to the candidate without serving it. */
  shadow?: boolean;
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** DESIGN §5's default ramp: 1%, 5%, 25%, 50%, 100%, with holds. */
export const DEFAULT_STEPS: RolloutStep[] = [
  { weightBp: 100, holdMs: 10 * 60_000 },
  { weightBp: 500, holdMs: 10 * 60_000 },
  { weightBp: 2500, holdMs: 30 * 60_000 },
  { weightBp: 5000, holdMs: 30 * 60_000 },
  { weightBp: FULL_WEIGHT_BP, holdMs: 0 },
];

/** `30s`, `10m`, `2h`, `1d` in milliseconds; undefined when the text is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(text.trim());
  return match ? Math.round(Number(match[1]) * UNITS[match[2]!]!) : undefined;
}

function parseHold(text: string, step: string): number | null {
  if (text === 'approve' || text === 'null') return null;
  const ms = parseDuration(text);
  if (ms === undefined)
    throw new InputError(`Step "${step}": hold "${text}" is not a duration like 30s, 10m, 2h or 1d, or "approve"`);
  return ms;
}

/**
 * `--steps "shadow:10m,1:10m,5:30m,25:1h,50:approve,100"`: percent (or `shadow`) and hold per
 * step. Weights must grow, stay within 0-100%, and end at 100%; a shadow step can only come first.
 */
export function parseSteps(text: string): RolloutStep[] {
  const parts = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  if (!parts.length) throw new InputError('--steps is empty; give steps like "1:10m,5:10m,25:30m,50:30m,100"');
  const steps = parts.map((part, i): RolloutStep => {
    const [weightText, holdText] = part.split(':');
    const holdMs = holdText === undefined ? 0 : parseHold(holdText, part);
    if (weightText === 'shadow') {
      if (i !== 0) throw new InputError(`Step "${part}": a shadow step can only be the first`);
      return { weightBp: 0, holdMs, shadow: true };
    }
    const percent = Number(weightText);
    if (!Number.isFinite(percent) || percent <= 0 || percent > 100)
      throw new InputError(`Step "${part}": the weight must be a percentage above 0 and at most 100`);
    return { weightBp: Math.round(percent * 100), holdMs };
  });
  const weighted = steps.filter((s) => !s.shadow);
  for (let i = 1; i < weighted.length; i++) {
    if (weighted[i]!.weightBp <= weighted[i - 1]!.weightBp)
      throw new InputError(
        `--steps: weights must grow (${weighted[i - 1]!.weightBp / 100}% then ${weighted[i]!.weightBp / 100}%)`,
      );
  }
  if (weighted.at(-1)?.weightBp !== FULL_WEIGHT_BP)
    throw new InputError('--steps must end at 100 (the candidate takes all traffic before it becomes production)');
  return steps;
}
