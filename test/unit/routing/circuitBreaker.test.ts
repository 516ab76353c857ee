import { CircuitBoard, CircuitBreaker } from '../../../src/routing/circuitBreaker';

describe('circuit breaker', () => {
  it('opens after N consecutive failures, lets one probe through after the cool-down, and closes on its success', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failures: 3, cooldownMs: 1000 }, () => now);
    breaker.onFailure();
    breaker.onSuccess(); // a success resets the count
    for (let i = 0; i < 3; i++) {
      expect(breaker.tryPass()).toBe(true);
      breaker.onFailure();
    }
    expect(breaker.state).toBe('open');
    expect(breaker.tryPass()).toBe(false);
    now = 999;
    expect(breaker.tryPass()).toBe(false);
    now = 1000;
    expect(breaker.tryPass()).toBe(true);
    expect(breaker.state).toBe('half_open');
    expect(breaker.tryPass()).toBe(false); // one probe at a time
    breaker.onSuccess();
    expect(breaker.state).toBe('closed');
    expect(breaker.tryPass()).toBe(true);
  });

  it('reopens at once when the probe fails', () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failures: 1, cooldownMs: 100 }, () => now);
    breaker.onFailure();
    now = 100;
    expect(breaker.tryPass()).toBe(true);
    breaker.onFailure();
    expect(breaker.state).toBe('open');
    now = 150;
    expect(breaker.tryPass()).toBe(false);
  });

  it('tells when a closed circuit opens, with its key, and not again when a failed probe reopens it', () => {
    let now = 0;
    const opened: string[] = [];
    const board = new CircuitBoard({ failures: 2, cooldownMs: 100, onOpen: (key) => opened.push(key) }, () => now);
    const breaker = board.for('openai/gpt-4o');
    breaker.onFailure();
    expect(opened).toEqual([]);
    breaker.onFailure();
    expect(opened).toEqual(['openai/gpt-4o']);
    now = 100;
    expect(breaker.tryPass()).toBe(true);
    breaker.onFailure(); // the probe failed: open again, nothing new to tell
    expect(opened).toEqual(['openai/gpt-4o']);
    now = 200;
    breaker.tryPass();
    breaker.onSuccess();
    breaker.onFailure();
    breaker.onFailure(); // closed, then open again: a new outage
    expect(opened).toEqual(['openai/gpt-4o', 'openai/gpt-4o']);
  });
});
