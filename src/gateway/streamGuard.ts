import type { ServerResponse } from 'node:http';
import { GatewayError } from './gatewayError';

/** Open streams per tenant, capped: a tenant holding many slow streams cannot take every socket and buffer. */
export class StreamSlots {
  private readonly open = new Map<string, number>();

  constructor(private readonly perTenant: number) {}

  /** Take a slot (429 when the tenant has none left); the returned function gives it back. */
  take(tenantId: string): () => void {
    const held = this.open.get(tenantId) ?? 0;
    if (held >= this.perTenant) {
      throw new GatewayError(
        429,
        'rate_limit_error',
        `Tenant ${tenantId} already has ${held} streams open (the limit); finish or close one, then retry`,
        'too_many_streams',
        null,
        { 'retry-after': '1' },
      );
    }
    this.open.set(tenantId, held + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const left = (this.open.get(tenantId) ?? 1) - 1;
      if (left > 0) this.open.set(tenantId, left);
      else this.open.delete(tenantId);
    };
  }
}

/** The client stopped reading for longer than the write timeout. */
export class StalledReader extends Error {}

/**
 * Write one event and honour backpressure: when the socket's buffer is full, wait for it to drain,
 * at most `timeoutMs`; a reader that stalls longer is cut off instead of growing our memory.
 */
export async function writeWithBackpressure(res: ServerResponse, chunk: string, timeoutMs: number): Promise<void> {
  if (res.destroyed) return; // the caller is gone: its abort signal ends the provider call
  if (res.write(chunk)) return;
  const drained = await new Promise<boolean>((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(true); // the caller hung up: the abort signal ends the call
    const timer = setTimeout(() => done(false), timeoutMs);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
  if (!drained) {
    res.destroy();
    throw new StalledReader(`the client read nothing for ${timeoutMs} ms`);
  }
}
