import { recordAudit } from '../audit/auditLog';
import { withTransaction, type Pool } from '../db/pool';
import { InputError, NotFoundError } from '../errors';
import { ROUTES_CHANNEL } from '../routing/routeStore';

/**
 * A prompt's kill switch: while it is on, every gateway refuses the prompt's requests (403
 * `prompt_disabled`), whatever its labels and routes say. Both directions are idempotent and audited;
 * gateways hear of them on the routes channel.
 */
export async function disablePrompt(
  pool: Pool,
  input: { prompt: string; reason: string; actor: string },
): Promise<{ changed: boolean }> {
  return switchPrompt(pool, input.prompt, input.actor, input.reason, (held) => (held === null ? input.reason : held));
}

/**
 * Serve the prompt again. With `onlyIfReasonStartsWith` (an incident's undo), only a switch that
 * incident turned on is turned off: one someone set meanwhile for another reason stays.
 */
export async function enablePrompt(
  pool: Pool,
  input: { prompt: string; reason: string; actor: string; onlyIfReasonStartsWith?: string },
): Promise<{ changed: boolean }> {
  const mark = input.onlyIfReasonStartsWith;
  return switchPrompt(pool, input.prompt, input.actor, input.reason, (held) =>
    mark === undefined || held?.startsWith(mark) ? null : held,
  );
}

async function switchPrompt(
  pool: Pool,
  prompt: string,
  actor: string,
  reason: string,
  next: (held: string | null) => string | null,
): Promise<{ changed: boolean }> {
  if (!reason.trim()) throw new InputError('Give a reason (--reason "…"): it goes into the audit trail');
  return withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ disabled_reason: string | null }>(
      'SELECT disabled_reason FROM prompts WHERE name = $1 FOR UPDATE',
      [prompt],
    );
    if (!rows[0]) throw new NotFoundError(`No prompt "${prompt}". Run \`flightdeck prompt list\` to see prompts.`);
    const held = rows[0].disabled_reason;
    const wanted = next(held);
    if (wanted === held) return { changed: false };
    await client.query('UPDATE prompts SET disabled_reason = $2 WHERE name = $1', [prompt, wanted]);
    await recordAudit(client, {
      actor,
      action: 'prompt.switch',
      subject: prompt,
      fromValue: held === null ? 'enabled' : 'disabled',
      toValue: wanted === null ? 'enabled' : 'disabled',
      reason,
    });
    await client.query('SELECT pg_notify($1, $2)', [ROUTES_CHANNEL, prompt]);
    return { changed: true };
  });
}
