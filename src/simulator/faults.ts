import { z } from 'zod';

export const faultKinds = [
  'rate_limit',
  'server',
  'overloaded',
  'stream_cut',
  'stream_cut_start',
  'hang',
  'auth',
  'bad_request',
  'context_length',
] as const;
export type FaultKind = (typeof faultKinds)[number];

export const faultRequestSchema = z.strictObject({
  kind: z.enum(faultKinds),
  /** A model id, or "*" for every model. */
  model: z.string().default('*'),
  /** How many requests fail this way before the fault clears itself. */
  count: z.number().int().positive().default(1),
});
export type FaultRequest = z.infer<typeof faultRequestSchema>;

/** Injected faults, consumed in order by matching requests; what tests and drills use. */
export class FaultQueue {
  private faults: Array<{ kind: FaultKind; model: string; remaining: number }> = [];

  inject(request: FaultRequest): void {
    this.faults.push({ kind: request.kind, model: request.model, remaining: request.count });
  }

  /** The next injected fault for this model, if any; decrements its count. */
  take(model: string): FaultKind | undefined {
    const fault = this.faults.find((f) => f.model === '*' || f.model === model);
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
    return fault.kind;
  }

  clear(): void {
    this.faults = [];
  }

  list(): ReadonlyArray<{ kind: FaultKind; model: string; remaining: number }> {
    return this.faults;
  }
}
