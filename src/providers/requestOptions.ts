import type { CompletionRequest } from './types';

export interface CallOptions {
  /** What to hand the SDK: one signal that fires on the caller's abort or at our deadline. */
  sdk: { signal?: AbortSignal };
  /** True once the deadline passed; lets us call a timeout a timeout in any JS realm. */
  timedOut(): boolean;
}

/**
 * We enforce the per-call deadline ourselves rather than through the SDK's `timeout`, because the
 * SDKs tell timeouts from other connection errors by the abort error's class, which test runners
 * with their own globals (Jest) break.
 */
export function callOptions(request: CompletionRequest): CallOptions {
  const deadline =
    request.timeoutMs !== undefined ? AbortSignal.timeout(Math.max(1, Math.round(request.timeoutMs))) : undefined;
  const signals = [deadline, request.signal].filter((s): s is AbortSignal => s !== undefined);
  return {
    sdk: signals.length ? { signal: signals.length === 1 ? signals[0] : AbortSignal.any(signals) } : {},
    timedOut: () => deadline?.aborted ?? false,
  };
}
