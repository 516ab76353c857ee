import type { Pool } from '../db/pool';
import { judgeRule } from '../monitoring/monitorPass';
import type { MonitorRule } from '../monitoring/monitorRules';

/** What the alert's rule says of the time since a mitigation alone. */
export type SinceVerdict = 'back-in-bounds' | 'still-out' | 'too-few-samples';

/**
 * The alert's rule judged over the minutes since the mitigation only (one window, not stretched).
 * The alert itself is no verdict on the mitigation: its longer windows still hold what happened
 * before it (a judge-score rule's reach up to 160 minutes back), so it stays open long after a
 * rollback that worked. A rule gone from the monitors file, or a series without enough samples
 * since, is "too few samples": a mitigation is never undone on no evidence.
 */
export async function judgeAlertSince(
  pool: Pool,
  rules: readonly MonitorRule[],
  alertKey: string,
  minutes: number,
  now = new Date(),
): Promise<{ verdict: SinceVerdict; reason: string }> {
  const { rows } = await pool.query<{ rule_id: string }>(
    'SELECT rule_id FROM monitor_alerts WHERE key = $1 ORDER BY id DESC LIMIT 1',
    [alertKey],
  );
  const rule = rules.find((r) => r.id === rows[0]?.rule_id);
  if (!rule) return { verdict: 'too-few-samples', reason: `no rule in the monitors file raises ${alertKey}` };
  const since = { ...rule, window_minutes: Math.max(1, Math.floor(minutes)), stretch: 1 } as MonitorRule;
  const series = (await judgeRule(pool, since, now)).find((v) => v.key === alertKey)?.verdict;
  if (series?.state === 'fire') return { verdict: 'still-out', reason: series.reason };
  if (series?.state === 'ok')
    return { verdict: 'back-in-bounds', reason: `${rule.id} in bounds over the ${since.window_minutes} min since` };
  return {
    verdict: 'too-few-samples',
    reason: series?.reason ?? `no samples of ${alertKey} since`,
  };
}
