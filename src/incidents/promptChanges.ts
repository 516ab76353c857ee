import type { Pool } from '../db/pool';
import { hasLiveCandidate } from '../routing/routeStore';

/**
 * One change to a prompt: from the audit log (label moves, pushes, routes, pauses), or a drop the
 * scheduled eval saw with nothing released (the provider's model changing under its name).
 */
export interface PromptChange {
  at: string;
  action: string;
  actor: string;
  from: string | null;
  to: string | null;
  reason: string | null;
}

/** What changed for a prompt lately, and what a rollback would do. */
export interface PromptChanges {
  prompt: string;
  /** The production version now. */
  production: string | null;
  /** A canary (or shadow) is live: aborting it is the rollback. */
  liveCanary: boolean;
  /** The window's changes, oldest first (at most 50). */
  changes: PromptChange[];
  /**
   * The version production moved from in the window, when its last move there was a release
   * (not itself a rollback): what a label rollback returns to. Named, so a retried rollback moves
   * to the same version instead of one further back.
   */
  rollbackTo: string | null;
}

/** The prompt's changes in the last `hours` from the audit log, and whether a rollback has somewhere to go. */
export async function recentPromptChanges(pool: Pool, prompt: string, hours = 24): Promise<PromptChanges> {
  const [changes, production, liveCanary, evalDrops] = await Promise.all([
    pool.query<{
      ts: Date;
      action: string;
      actor: string;
      from_value: string | null;
      to_value: string | null;
      reason: string | null;
      details: { label?: string; rollback?: boolean };
    }>(
      `SELECT ts, action, actor, from_value, to_value, reason, details FROM audit_log
       WHERE subject = $1 AND ts >= now() - $2 * interval '1 hour' ORDER BY id DESC LIMIT 50`,
      [prompt, hours],
    ),
    pool.query<{ version: string }>(
      `SELECT version FROM prompt_labels WHERE prompt_name = $1 AND label = 'production'`,
      [prompt],
    ),
    hasLiveCandidate(pool, prompt),
    pool.query<{ ts: Date; message: string }>(
      `SELECT ts, message FROM alerts WHERE kind = 'eval.drop' AND subject = $1 AND ts >= now() - $2 * interval '1 hour'
       ORDER BY ts DESC LIMIT 10`,
      [prompt, hours],
    ),
  ]);
  const lastRelease = changes.rows.find((c) => c.action === 'label.move' && c.details.label === 'production');
  return {
    prompt,
    production: production.rows[0]?.version ?? null,
    liveCanary,
    changes: [
      ...changes.rows.map((c) => ({
        at: c.ts.toISOString(),
        action: c.details.label ? `${c.action} ${c.details.label}${c.details.rollback ? ' (rollback)' : ''}` : c.action,
        actor: c.actor,
        from: c.from_value,
        to: c.to_value,
        reason: c.reason,
      })),
      ...evalDrops.rows.map((d) => ({
        at: d.ts.toISOString(),
        action: 'eval.drop',
        actor: 'scheduled eval',
        from: null,
        to: null,
        reason: d.message,
      })),
    ].sort((a, b) => a.at.localeCompare(b.at)),
    rollbackTo: lastRelease && !lastRelease.details.rollback ? lastRelease.from_value : null,
  };
}
