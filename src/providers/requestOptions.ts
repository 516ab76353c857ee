import type { CompletionRequest } from './types';

export interface CallOptions {
  /** What to hand the SDK: one signal that fires on the caller's abort or at our deadline. */
  sdk: { signal?: AbortSignal };
  /** True once the deadline passed; lets us call a timeout a timeout in any JS realm. */
  timedOut(): boolean;
  /** The call is over: stop its deadline timer and stop listening to the caller's signal. */
  finish(): void;
}

/**
 * We enforce the per-call deadline ourselves rather than through the SDK's `timeout`, because the
 * SDKs tell timeouts from other connection errors by the abort error's class, which test runners
 * with their own globals (Jest) break. One controller and a timer cleared when the call ends: on the
 * gateway's hot path `AbortSignal.timeout` + `AbortSignal.any` left a live timer and signal per call
 * for the whole deadline (thousands at a time) and cost more than the rest of the call's setup.
 */
export function callOptions(request: CompletionRequest): CallOptions {
  const caller = request.signal;
  if (request.timeoutMs === undefined)
    return { sdk: caller ? { signal: caller } : {}, timedOut: () => false, finish: () => undefined };
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(
    () => {
      timedOut = true;
      controller.abort(new DOMException('The provider call timed out', 'TimeoutError'));
    },
    Math.max(1, Math.round(request.timeoutMs)),
  );
  const onCallerAbort = () => controller.abort(caller!.reason);
  if (caller?.aborted) onCallerAbort();
  else caller?.addEventListener('abort', onCallerAbort, { once: true });
  return {
    sdk: { signal: controller.signal },
    timedOut: () => timedOut,
    finish: () => {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onCallerAbort);
    },
  };
}
