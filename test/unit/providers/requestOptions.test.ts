import { callOptions } from '../../../src/providers/requestOptions';

const request = (extra: { timeoutMs?: number; signal?: AbortSignal }) => ({
  model: 'm',
  messages: [{ role: 'user' as const, content: 'hi' }],
  ...extra,
});

describe('callOptions', () => {
  it('aborts at the deadline and calls it a timeout', async () => {
    const call = callOptions(request({ timeoutMs: 20 }));
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(call.sdk.signal?.aborted).toBe(true);
    expect((call.sdk.signal?.reason as DOMException).name).toBe('TimeoutError');
    expect(call.timedOut()).toBe(true);
    call.finish();
  });

  it("passes the caller's abort on, which is not a timeout", () => {
    const caller = new AbortController();
    const call = callOptions(request({ timeoutMs: 10_000, signal: caller.signal }));
    caller.abort(new Error('client went away'));
    expect(call.sdk.signal?.aborted).toBe(true);
    expect(call.timedOut()).toBe(false);
    call.finish();
  });

  it('is aborted from the start when the caller already gave up', () => {
    const caller = new AbortController();
    caller.abort();
    const call = callOptions(request({ timeoutMs: 10_000, signal: caller.signal }));
    expect(call.sdk.signal?.aborted).toBe(true);
    call.finish();
  });

  it('once finished, neither the deadline nor a later caller abort touches the call', async () => {
    const caller = new AbortController();
    const call = callOptions(request({ timeoutMs: 20, signal: caller.signal }));
    call.finish();
    await new Promise((resolve) => setTimeout(resolve, 60));
    caller.abort();
    expect(call.sdk.signal?.aborted).toBe(false);
    expect(call.timedOut()).toBe(false);
  });

  it("without a deadline hands on the caller's signal as it is", () => {
    const caller = new AbortController();
    expect(callOptions(request({ signal: caller.signal })).sdk.signal).toBe(caller.signal);
    expect(callOptions(request({})).sdk).toEqual({});
  });
});
