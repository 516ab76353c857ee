import type { CompletionRequest } from './types';

/** Per-call SDK options; both SDKs reject keys that are present but undefined. */
export function requestOptions(request: CompletionRequest): { timeout?: number; signal?: AbortSignal } {
  return {
    ...(request.timeoutMs !== undefined && { timeout: Math.round(request.timeoutMs) }),
    ...(request.signal && { signal: request.signal }),
  };
}
