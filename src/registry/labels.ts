import { labelMoves, recordAudit } from '../audit/auditLog';
import { InputError, NotFoundError } from '../errors';
import { withTransaction, type Pool, type PoolClient } from '../db/pool';
import { isModelAlias } from './modelPinning';
import type { PromptSpec } from './promptFile';
import { rollbackTarget } from './productionLineage';

export const PRODUCTION = 'production';
export const STAGING = 'staging';
/** Postgres NOTIFY channel for label moves; gateways LISTEN on it to refresh their routing at once. */
export const LABEL_CHANNEL = 'flightdeck_labels';

const LABEL_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

export interface LabelMove {
  name: string;
  label: string;
  version: string;
  actor: string;
  reason?: string;
  rollback?: boolean;
}

export interface LabelMoveResult {
  name: string;
  label: string;
  from: string | null;
  to: string;
  /** False when the label already pointed there (the call is idempotent). */
  changed: boolean;
}

export interface LabelNotification {
  prompt: string;
  label: string;
  from: string | null;
  to: string;
}

/** Move a label inside the caller's transaction: checks, row lock, update, audit row, NOTIFY on commit. */
export async function moveLabelWithin(client: PoolClient, move: LabelMove): Promise<LabelMoveResult> {
  if (!LABEL_NAME.test(move.label)) {
    throw new InputError(
      `"${move.label}" is not a label name; use lowercase letters, digits, "-" or "_", starting with a letter`,
    );
  }
  const target = await client.query<{ spec: PromptSpec; status: string }>(
    'SELECT spec, status FROM prompt_versions WHERE prompt_name = $1 AND version = $2',
    [move.name, move.version],
  );
  const row = target.rows[0];
  if (!row)
    throw new NotFoundError(
      `Prompt "${move.name}" has no version "${move.version}". Run \`flightdeck prompt history ${move.name}\` to see its versions.`,
    );
  if (row.status === 'rejected')
    throw new InputError(`${move.name}@${move.version} was rejected and cannot be labelled; push a fixed version`);
  if (move.label === PRODUCTION && !row.spec.allow_alias && isModelAlias(row.spec.model)) {
    throw new InputError(
      `${move.name}@${move.version} uses the model alias "${row.spec.model}", which the provider can re-point without notice; pin a dated model id (e.g. gpt-4o-mini-2024-07-18) or set allow_alias: true in the prompt file`,
    );
  }
  const current = await client.query<{ version: string }>(
    'SELECT version FROM prompt_labels WHERE prompt_name = $1 AND label = $2 FOR UPDATE',
    [move.name, move.label],
  );
  const from = current.rows[0]?.version ?? null;
  if (from === move.version) return { name: move.name, label: move.label, from, to: move.version, changed: false };

  await client.query(
    `INSERT INTO prompt_labels (prompt_name, label, version) VALUES ($1, $2, $3)
     ON CONFLICT (prompt_name, label) DO UPDATE SET version = EXCLUDED.version, updated_at = now()`,
    [move.name, move.label, move.version],
  );
  await recordAudit(client, {
    actor: move.actor,
    action: 'label.move',
    subject: move.name,
    fromValue: from,
    toValue: move.version,
    reason: move.reason,
    details: { label: move.label, rollback: move.rollback ?? false },
  });
  const notification: LabelNotification = { prompt: move.name, label: move.label, from, to: move.version };
  await client.query('SELECT pg_notify($1, $2)', [LABEL_CHANNEL, JSON.stringify(notification)]);
  return { name: move.name, label: move.label, from, to: move.version, changed: true };
}

/** Move a label in its own transaction. */
export function moveLabel(pool: Pool, move: LabelMove): Promise<LabelMoveResult> {
  return withTransaction(pool, (client) => moveLabelWithin(client, move));
}

export interface RollbackRequest {
  name: string;
  to?: string;
  reason: string;
  actor: string;
}

/** Put `production` back on the previous production version (or on `to`) in one transaction. */
export function rollbackProduction(pool: Pool, request: RollbackRequest): Promise<LabelMoveResult> {
  return withTransaction(pool, async (client) => {
    const moves = await labelMoves(client, request.name, PRODUCTION);
    if (!moves.length)
      throw new NotFoundError(
        `Prompt "${request.name}" has no production version to roll back. Run \`flightdeck prompt list\` to see registered prompts.`,
      );
    const target = request.to ?? rollbackTarget(moves);
    if (!target) {
      throw new InputError(
        `${request.name} has had only one production version, so there is nothing to roll back to; name a version with --to`,
      );
    }
    return moveLabelWithin(client, {
      name: request.name,
      label: PRODUCTION,
      version: target,
      actor: request.actor,
      reason: request.reason,
      rollback: true,
    });
  });
}

/** The version a label points at, locked until the transaction ends so nobody moves it meanwhile. */
export async function lockLabel(client: PoolClient, prompt: string, label: string): Promise<string | undefined> {
  const { rows } = await client.query<{ version: string }>(
    'SELECT version FROM prompt_labels WHERE prompt_name = $1 AND label = $2 FOR UPDATE',
    [prompt, label],
  );
  return rows[0]?.version;
}
