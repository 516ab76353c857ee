import type { IncomingMessage } from 'node:http';
import type { z } from 'zod';
import { GatewayError, badRequest } from './gatewayError';
import { assertStorableJson } from './jsonLimits';

export const MAX_BODY_BYTES = 1024 * 1024;
/** Past the limit we keep reading (and dropping) up to this much, so the client gets to read our 413. */
const MAX_DRAIN_BYTES = 16 * MAX_BODY_BYTES;

/** The request body as JSON: 413 past the size limit, 400 when it does not parse or holds what cannot be stored. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const { chunks, size } = await readBody(req);
  if (size > MAX_BODY_BYTES) {
    throw new GatewayError(
      413,
      'request_too_large',
      `The body is over ${MAX_BODY_BYTES} bytes; send less text per request`,
      'body_too_large',
      null,
      { connection: 'close' },
    );
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) throw badRequest('The body is empty; send a JSON object', null, 'invalid_json');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badRequest(`The body is not valid JSON: ${(error as Error).message}`, null, 'invalid_json');
  }
  assertStorableJson(value);
  return value;
}

/**
 * The body's chunks up to the limit and its size, read with events (async iteration costs more on a
 * path every request takes). Past MAX_DRAIN_BYTES the request is destroyed without waiting for more.
 */
function readBody(req: IncomingMessage): Promise<{ chunks: Buffer[]; size: number }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else resolve({ chunks, size });
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > MAX_DRAIN_BYTES) {
        settle();
        req.destroy();
      }
    });
    req.once('end', () => settle());
    req.once('error', settle);
    req.once('close', () => settle(new Error('The client closed the connection before its body ended')));
  });
}

/** Validate with zod; the first problem becomes a 400 naming the field. */
export function parseBody<S extends z.ZodType>(schema: S, value: unknown): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const param = issue.path.map(String).join('.') || null;
  throw badRequest(`${param ? `${param}: ` : ''}${issue.message}`, param);
}
