import { CircuitBreaker } from '../../../src/routing/circuitBreaker';

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
});
