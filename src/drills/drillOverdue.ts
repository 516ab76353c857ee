import { DRILL_KINDS, DRILL_OVERDUE_DAYS, type DrillKind } from '../model/drill';
import type { Firing } from '../monitoring/alertStore';

const DAY_MS = 86_400_000;

export interface DrillFreshness {
  key: string;
  /** Set when the kind is overdue: the alert to raise; absent: the key is in bounds (its alert resolves). */
  firing?: Firing;
}

/**
 * Which playbooks have not passed a drill in DRILL_OVERDUE_DAYS. The clock starts at the first drill
 * ever run here (an installation that never drilled is not told so every minute), or at the kind's
 * last pass.
 */
export function drillFreshness(
  history: { firstDrillAt: Date | null; lastPassed: ReadonlyMap<DrillKind, Date> },
  now: Date,
): DrillFreshness[] {
  if (!history.firstDrillAt) return [];
  return DRILL_KINDS.map((kind) => {
    const key = `drill-overdue:kind=${kind}`;
    const since = history.lastPassed.get(kind) ?? history.firstDrillAt!;
    const days = (now.getTime() - since.getTime()) / DAY_MS;
    if (days <= DRILL_OVERDUE_DAYS) return { key };
    const passed = history.lastPassed.has(kind);
    return {
      key,
      firing: {
        key,
        ruleId: 'drill-overdue',
        severity: 'ticket',
        summary: `The ${kind} drill has ${passed ? 'not passed' : 'never passed'} in ${Math.floor(days)} days (at most ${DRILL_OVERDUE_DAYS}): run \`flightdeck drill run ${kind}\``,
        numbers: { days: Math.floor(days) },
      },
    };
  });
}
