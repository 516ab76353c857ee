import type { Verdict } from './detectors';

/**
 * Spend has a daily and weekly rhythm: a tenant's 10:00 on a weekday is not its 03:00 or its
 * Sunday. A window is compared with the same UTC hours of day on days of the same kind (weekdays or
 * weekends), so a spike at night is not hidden by busy days and a busy morning is not a spike.
 */
export interface Season {
  hour: number;
  weekend: boolean;
}

export function seasonAt(at: Date): Season {
  const day = at.getUTCDay();
  return { hour: at.getUTCHours(), weekend: day === 0 || day === 6 };
}

/** The seasons a window [from, to) lies in: one for a window inside a clock hour, else its first and last hour's. */
export function seasonsOf(from: Date, to: Date): Season[] {
  const first = seasonAt(from);
  const last = seasonAt(new Date(to.getTime() - 1));
  return first.hour === last.hour && first.weekend === last.weekend ? [first] : [first, last];
}

export function inSeason(at: Date, season: Season): boolean {
  const own = seasonAt(at);
  return own.hour === season.hour && own.weekend === season.weekend;
}

/** The SQL filter for hour buckets of a season, with the season as parameters $hour and $weekend. */
export const seasonFilter = (hourParam: string, weekendParam: string) =>
  `AND extract(hour FROM bucket AT TIME ZONE 'UTC') = ${hourParam} AND (extract(isodow FROM bucket AT TIME ZONE 'UTC') >= 6) = ${weekendParam}`;

/**
 * One verdict from a window's verdicts against each season it spans: it fires only when it is a
 * spike against every one (a window straddling 08:00 is not a spike because 07:00 is quieter);
 * otherwise the calmest verdict stands, and "no data" when any season could not be judged.
 */
export function allSeasonsAgree(verdicts: readonly Verdict[]): Verdict {
  const undecided = verdicts.find((v) => v.state === 'no_data' || v.state === 'low_volume');
  if (undecided) return undecided;
  return verdicts.find((v) => v.state === 'ok') ?? verdicts[0]!;
}
