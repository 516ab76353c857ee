import type { Pool } from '../db/pool';
import { AlertLifecycle } from './alertLifecycle';
import { judgeRule } from './monitorPass';
import type { MonitorRule } from './monitorRules';

export interface BacktestAlert {
  key: string;
  firedAt: string;
  reason: string;
}

export interface BacktestResult {
  rule: string;
  since: string;
  until: string;
  stepMinutes: number;
  passes: number;
  alerts: BacktestAlert[];
  alertsPerWeek: number;
  /** Series-passes judged "no data" or "too little traffic" (they neither fire nor pass). */
  undecided: number;
}

/**
 * Replay one rule over the stored rollups, a pass every `stepMinutes` from `since` to `until`, with
 * the live pass's dedupe and cooldown: which alerts it would have raised, and how many a week, so a
 * team sees a rule's noise before enabling it. Reads only; raises nothing.
 */
export async function backtestRule(
  pool: Pool,
  rule: MonitorRule,
  since: Date,
  until: Date,
  stepMinutes: number,
  onProgress?: (done: number, total: number) => void,
): Promise<BacktestResult> {
  const stepMs = stepMinutes * 60_000;
  const total = Math.max(1, Math.floor((until.getTime() - since.getTime()) / stepMs));
  const lifecycle = new AlertLifecycle(rule.cooldown_minutes * 60_000);
  const alerts: BacktestAlert[] = [];
  let undecided = 0;
  for (let i = 1; i <= total; i++) {
    const at = new Date(since.getTime() + i * stepMs);
    for (const { key, verdict } of await judgeRule(pool, rule, at)) {
      if (lifecycle.observe(key, verdict.state, at.getTime()) && verdict.state === 'fire')
        alerts.push({ key, firedAt: at.toISOString(), reason: verdict.reason });
      if (verdict.state === 'no_data' || verdict.state === 'low_volume') undecided += 1;
    }
    onProgress?.(i, total);
  }
  const weeks = (until.getTime() - since.getTime()) / (7 * 86_400_000);
  return {
    rule: rule.id,
    since: since.toISOString(),
    until: until.toISOString(),
    stepMinutes,
    passes: total,
    alerts,
    alertsPerWeek: Number((alerts.length / Math.max(weeks, 1 / 7)).toFixed(2)),
    undecided,
  };
}
