import { z } from 'zod';
import { recordAudit } from '../audit/auditLog';
import { withTransaction, type Pool, type PoolClient } from '../db/pool';
import { describeZodIssues, InputError } from '../errors';
import { modelIdSchema, oneLine } from '../model/textFields';
import { ROUTES_CHANNEL } from './routeStore';

/** A cap on the output tokens of a model's calls on every gateway (a latency spike's mitigation). */
export interface OutputCap {
  model: string;
  maxTokens: number;
  reason: string;
  incident: string | null;
}

const capSchema = z.strictObject({
  model: modelIdSchema,
  maxTokens: z.number().int().min(1).max(1_000_000),
  reason: oneLine(1000),
  /** The incident workflow id that sets it (its undo clears it). */
  incident: oneLine(300).optional(),
  actor: oneLine(200),
});
const uncapSchema = capSchema.omit({ maxTokens: true });

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new InputError(describeZodIssues('The output cap', parsed.error.issues));
  return parsed.data;
}

/** Every cap in force, by model (the gateway holds them in memory with the routes). */
export async function loadOutputCaps(db: Pool | PoolClient): Promise<Map<string, OutputCap>> {
  const { rows } = await db.query<{ model: string; max_tokens: number; reason: string; incident: string | null }>(
    'SELECT model, max_tokens, reason, incident FROM output_caps ORDER BY model',
  );
  return new Map(
    rows.map((r) => [r.model, { model: r.model, maxTokens: r.max_tokens, reason: r.reason, incident: r.incident }]),
  );
}

/** Cap `model`'s output tokens on every gateway at once (NOTIFY on commit); audited; the same cap again changes nothing. */
export async function setOutputCap(pool: Pool, input: z.input<typeof capSchema>): Promise<{ changed: boolean }> {
  const c = parse(capSchema, input);
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ max_tokens: number }>(
      'SELECT max_tokens FROM output_caps WHERE model = $1 FOR UPDATE',
      [c.model],
    );
    if (rows[0]?.max_tokens === c.maxTokens) return { changed: false };
    await client.query(
      `INSERT INTO output_caps (model, max_tokens, reason, incident, created_by) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (model) DO UPDATE SET max_tokens = EXCLUDED.max_tokens, reason = EXCLUDED.reason,
         incident = EXCLUDED.incident, created_by = EXCLUDED.created_by, created_at = now()`,
      [c.model, c.maxTokens, c.reason, c.incident ?? null, c.actor],
    );
    await audit(client, c.actor, c.model, rows[0]?.max_tokens ?? null, c.maxTokens, c.reason, c.incident);
    return { changed: true };
  });
}

/** Lift `model`'s cap (only the one `incident` set, when named); lifting none changes nothing. */
export async function clearOutputCap(pool: Pool, input: z.input<typeof uncapSchema>): Promise<{ changed: boolean }> {
  const c = parse(uncapSchema, input);
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ max_tokens: number }>(
      'DELETE FROM output_caps WHERE model = $1 AND ($2::text IS NULL OR incident = $2) RETURNING max_tokens',
      [c.model, c.incident ?? null],
    );
    if (!rows[0]) return { changed: false };
    await audit(client, c.actor, c.model, rows[0].max_tokens, null, c.reason, c.incident);
    return { changed: true };
  });
}

async function audit(
  client: PoolClient,
  actor: string,
  model: string,
  from: number | null,
  to: number | null,
  reason: string,
  incident: string | undefined,
): Promise<void> {
  await recordAudit(client, {
    actor,
    action: 'route.cap',
    subject: model,
    fromValue: from === null ? null : `${from} tokens`,
    toValue: to === null ? null : `${to} tokens`,
    reason,
    details: { incident: incident ?? null },
  });
  await client.query('SELECT pg_notify($1, $2)', [ROUTES_CHANNEL, model]);
}

/** The output tokens a call may ask for under its model's cap (none: as asked). */
export function cappedMaxTokens(asked: number | undefined, cap: OutputCap | undefined): number | undefined {
  if (!cap) return asked;
  return Math.min(asked ?? cap.maxTokens, cap.maxTokens);
}
