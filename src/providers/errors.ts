export type ProviderErrorKind =
  | 'rate_limit'
  | 'server'
  | 'overloaded'
  | 'timeout'
  | 'connection'
  | 'stream_cut'
  | 'bad_request'
  | 'auth'
  | 'context_length'
  | 'not_found'
  | 'unsupported';

const RETRYABLE: ReadonlySet<ProviderErrorKind> = new Set([
  'rate_limit',
  'server',
  'overloaded',
  'timeout',
  'connection',
  'stream_cut',
]);

/** A provider failure, classified so callers know whether another attempt or target can help. */
export class ProviderError extends Error {
  readonly retryable: boolean;
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    readonly provider: string,
    readonly status?: number,
    /** From Retry-After, when the provider sent one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ProviderError';
    this.retryable = RETRYABLE.has(kind);
  }
}

interface SdkErrorLike {
  constructor?: { name?: string };
  status?: number;
  message?: string;
  code?: string | null;
  headers?: Headers | Record<string, string>;
  error?: { type?: string; error?: { type?: string; message?: string }; message?: string; code?: string };
}

function header(headers: SdkErrorLike['headers'], name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  return (headers as Record<string, string>)[name];
}

function retryAfterMs(headers: SdkErrorLike['headers']): number | undefined {
  const ms = header(headers, 'retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Number(ms);
  const seconds = header(headers, 'retry-after');
  if (seconds && Number.isFinite(Number(seconds))) return Number(seconds) * 1000;
  return undefined;
}

const CONTEXT_TOO_LONG = /context[_ ]length|maximum context|prompt is too long|too many tokens/i;
const STREAM_CUT = /terminated|ECONNRESET|socket hang up|premature close|aborted|stream ended/i;

function kindOf(error: SdkErrorLike, midStream: boolean): ProviderErrorKind {
  // The SDKs set error.name to "Error"; the class name is what tells timeouts and connection errors apart.
  const name = error.constructor?.name ?? '';
  const message = error.message ?? '';
  if (name.includes('Timeout')) return 'timeout';
  if (name === 'APIConnectionError') return midStream ? 'stream_cut' : 'connection';
  const status = error.status;
  if (status === undefined) {
    if (midStream || STREAM_CUT.test(message)) return 'stream_cut';
    // Anything else without a status that the SDK did not raise is our bug, not the network's.
    return name.startsWith('API') ? 'connection' : 'bad_request';
  }
  const bodyType = error.error?.error?.type ?? error.error?.type ?? '';
  if (status === 529 || bodyType === 'overloaded_error' || error.code === 'overloaded') return 'overloaded';
  if (status === 429) return 'rate_limit';
  if (status === 408 || status === 504) return 'timeout';
  if (status >= 500) return 'server';
  if (status === 401 || status === 403) return 'auth';
  if (status === 404) return 'not_found';
  if (error.code === 'context_length_exceeded' || CONTEXT_TOO_LONG.test(message)) return 'context_length';
  return 'bad_request';
}

export interface FailureContext {
  /** The failure came after the stream began. */
  midStream?: boolean;
  /** Our own per-call deadline had passed when it failed. */
  timedOut?: boolean;
}

/** Turn whatever an SDK threw into a ProviderError. */
export function classifyProviderError(error: unknown, provider: string, context: FailureContext = {}): ProviderError {
  if (error instanceof ProviderError) return error;
  const like = (error ?? {}) as SdkErrorLike;
  const kind = context.timedOut ? 'timeout' : kindOf(like, context.midStream ?? false);
  const status = like.status;
  return new ProviderError(
    kind,
    `${provider}: ${like.message ?? String(error)}`,
    provider,
    status,
    retryAfterMs(like.headers),
  );
}
