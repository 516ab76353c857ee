import { unstorableReason } from '../util/storableText';
import { badRequest } from './gatewayError';

/** Deeper than this, a body is refused: nothing we accept nests anywhere near it, and walking it costs stack. */
const MAX_JSON_DEPTH = 32;

/**
 * Refuse what Postgres (and every log reader) cannot store: a NUL character or a lone UTF-16
 * surrogate in any string or key, and values nested deeper than MAX_JSON_DEPTH. Checked once at the
 * boundary, so nothing later on the path (log batch, template, spill replay) meets such a value.
 * Iterative, so a hostile depth cannot overflow the stack here either.
 */
export function assertStorableJson(value: unknown): void {
  const stack: Array<{ value: unknown; depth: number; path: string }> = [{ value, depth: 0, path: '' }];
  while (stack.length) {
    const { value: current, depth, path } = stack.pop()!;
    if (typeof current === 'string') {
      assertStorableText(current, path || 'body');
      continue;
    }
    if (current === null || typeof current !== 'object') continue;
    if (depth >= MAX_JSON_DEPTH)
      throw badRequest(
        `The body nests deeper than ${MAX_JSON_DEPTH} levels${path ? ` at ${path}` : ''}; flatten it`,
        path || null,
        'too_deep',
      );
    const entries = Array.isArray(current) ? current.map((v, i) => [String(i), v] as const) : Object.entries(current);
    for (const [key, child] of entries) {
      assertStorableText(key, path || 'body');
      stack.push({ value: child, depth: depth + 1, path: path ? `${path}.${key}` : key });
    }
  }
}

/** A string Postgres text/jsonb can hold: no NUL, no unpaired surrogate. */
function assertStorableText(text: string, where: string): void {
  const reason = unstorableReason(text);
  if (reason) throw badRequest(`${where} contains ${reason}`, where, 'invalid_characters');
}
