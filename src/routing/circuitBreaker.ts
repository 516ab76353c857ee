export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitOptions {
  /** Consecutive failures that open the circuit. */
  failures: number;
  /** How long an open circuit refuses calls before letting one probe through. */
  cooldownMs: number;
  /** Told when a closed circuit opens (not when a failed probe opens it again): a target just went bad. */
  onOpen?: () => void;
}

/**
 * Closed: calls pass. After `failures` consecutive failures it opens and refuses calls for the
 * cool-down; then one probe passes (half-open): success closes it, failure opens it again.
 */
export class CircuitBreaker {
  private consecutiveFailures = 0;
  private openedAt = 0;
  private probing = false;
  private current: CircuitState = 'closed';

  constructor(
    private readonly options: CircuitOptions,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): CircuitState {
    return this.current;
  }

  /** Whether a call may go out now; in half-open, only the first caller gets the probe. */
  tryPass(): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'open') {
      if (this.now() - this.openedAt < this.options.cooldownMs) return false;
      this.current = 'half_open';
      this.probing = false;
    }
    if (this.probing) return false;
    this.probing = true;
    return true;
  }

  onSuccess(): void {
    this.consecutiveFailures = 0;
    this.probing = false;
    this.current = 'closed';
  }

  /** The call ended for a reason that says nothing of the target (the caller hung up): a probe slot is freed, nothing counts. */
  release(): void {
    this.probing = false;
  }

  onFailure(): void {
    this.consecutiveFailures += 1;
    this.probing = false;
    if (this.current === 'half_open' || this.consecutiveFailures >= this.options.failures) {
      const wasClosed = this.current === 'closed';
      this.current = 'open';
      this.openedAt = this.now();
      if (wasClosed) this.options.onOpen?.();
    }
  }
}

/** One breaker per key (a provider/model target), created on first use. */
export class CircuitBoard {
  private readonly breakers = new Map<string, CircuitBreaker>();

  constructor(
    private readonly options: Omit<CircuitOptions, 'onOpen'> & { onOpen?: (key: string) => void },
    private readonly now: () => number = Date.now,
  ) {}

  for(key: string): CircuitBreaker {
    let breaker = this.breakers.get(key);
    if (!breaker) {
      const { onOpen } = this.options;
      breaker = new CircuitBreaker({ ...this.options, onOpen: onOpen && (() => onOpen(key)) }, this.now);
      this.breakers.set(key, breaker);
    }
    return breaker;
  }

  states(): Array<[string, CircuitState]> {
    return [...this.breakers].map(([key, breaker]) => [key, breaker.state]);
  }
}
