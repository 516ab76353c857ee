import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { FLIGHTDECK_SEARCH_ATTRIBUTES } from '../../workflows/searchAttributes';

const INDEXED_TYPE = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
} as const;

/**
 * Register our search attributes on a server we did not start (dev servers get them at start).
 * Idempotent: attributes that already exist are left as they are.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = FLIGHTDECK_SEARCH_ATTRIBUTES.filter((key) => !(key.name in (customAttributes ?? {})));
  if (!missing.length) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, INDEXED_TYPE[key.type as keyof typeof INDEXED_TYPE]])),
  });
}
