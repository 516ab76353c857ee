import type { Pool } from '../db/pool';

/** Above this share of real traffic failing (server errors, last 30 minutes) the error budget is too low to drill. */
export const DRILL_MAX_ERROR_RATE = 0.02;
/** Fewer real requests than this in the window say nothing about the error rate. */
const MIN_VOLUME = 100;

/**
 * Why a drill must not run or go on now, or undefined: an alert open on real traffic (a drill must
 * never add to an outage), or real traffic already failing more than the error budget allows.
 * Alerts about synthetic tenants and the drills' own `drill-overdue` do not count.
 */
export async function drillStopReason(pool: Pool): Promise<string | undefined> {
  const alerts = await pool.query<{ key: string; summary: string }>(
    `SELECT a.key, a.summary FROM monitor_alerts a
     WHERE a.state <> 'resolved' AND a.rule_id <> 'drill-overdue'
       AND NOT EXISTS (SELECT 1 FROM tenants t WHERE t.kind = 'synthetic' AND a.key LIKE '%tenant=' || t.id || '%')
     ORDER BY a.first_fired_at LIMIT 1`,
  );
  if (alerts.rows[0]) return `alert ${alerts.rows[0].key} is open on real traffic (${alerts.rows[0].summary})`;
  const traffic = await pool.query<{ requests: string; server_errors: string }>(
    `SELECT coalesce(sum(requests), 0) AS requests, coalesce(sum(server_errors), 0) AS server_errors
     FROM request_rollups WHERE grain = 'minute' AND NOT synthetic AND bucket >= now() - interval '30 minutes'`,
  );
  const requests = Number(traffic.rows[0]!.requests);
  const rate = requests ? Number(traffic.rows[0]!.server_errors) / requests : 0;
  if (requests >= MIN_VOLUME && rate > DRILL_MAX_ERROR_RATE)
    return `real traffic's server error rate is ${(rate * 100).toFixed(1)}% over the last 30 minutes (the error budget allows ${DRILL_MAX_ERROR_RATE * 100}%)`;
  return undefined;
}
