import { classifyProviderError } from '../../../src/providers/errors';

class APIError extends Error {
  constructor(
    readonly status: number | undefined,
    message: string,
    readonly headers?: Record<string, string>,
    readonly error?: object,
    readonly code?: string,
  ) {
    super(message);
  }
}
class APIConnectionTimeoutError extends Error {}
class APIConnectionError extends Error {}

describe('provider error classification', () => {
  it.each([
    [new APIError(429, 'slow down', { 'retry-after': '2' }), 'rate_limit', true],
    [new APIError(500, 'boom'), 'server', true],
    [new APIError(529, 'Overloaded'), 'overloaded', true],
    [new APIError(503, 'x', {}, {}, 'overloaded'), 'overloaded', true],
    [new APIError(400, 'x', {}, { error: { type: 'overloaded_error' } }), 'overloaded', true],
    [new APIConnectionTimeoutError('Request timed out.'), 'timeout', true],
    [new APIConnectionError('Connection error.'), 'connection', true],
    [new APIError(401, 'bad key'), 'auth', false],
    [new APIError(404, 'no model'), 'not_found', false],
    [new APIError(400, 'x', {}, {}, 'context_length_exceeded'), 'context_length', false],
    [new APIError(400, 'prompt is too long: 200000 tokens'), 'context_length', false],
    [new APIError(400, 'bad field'), 'bad_request', false],
  ])('%s -> %s (retryable %s)', (error, kind, retryable) => {
    const classified = classifyProviderError(error, 'p');
    expect(classified.kind).toBe(kind);
    expect(classified.retryable).toBe(retryable);
  });

  it('reads Retry-After in seconds or ms', () => {
    expect(classifyProviderError(new APIError(429, 'x', { 'retry-after': '2' }), 'p').retryAfterMs).toBe(2000);
    expect(classifyProviderError(new APIError(429, 'x', { 'retry-after-ms': '150' }), 'p').retryAfterMs).toBe(150);
  });

  it('calls a failure after the stream started a stream cut', () => {
    expect(classifyProviderError(new TypeError('terminated'), 'p', { midStream: true })).toMatchObject({
      kind: 'stream_cut',
      retryable: true,
    });
  });

  it('does not retry our own bugs', () => {
    expect(classifyProviderError(new TypeError('x is not a function'), 'p').retryable).toBe(false);
  });
});
