import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { FLIGHTDECK_SEARCH_ATTRIBUTES } from '../model/searchAttributes';

const INDEXED_TYPE = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT,
} as const;

const GRPC_ALREADY_EXISTS = 6;

/**
 * Register our search attributes on a server we did not start (dev servers get them at start).
 * One call per attribute, treating "already exists" as done: idempotent, and it works on the
 * time-skipping test server, which cannot list search attributes.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  for (const key of FLIGHTDECK_SEARCH_ATTRIBUTES) {
    try {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: { [key.name]: INDEXED_TYPE[key.type as keyof typeof INDEXED_TYPE] },
      });
    } catch (error) {
      if ((error as { code?: number }).code !== GRPC_ALREADY_EXISTS) throw error;
    }
  }
}
