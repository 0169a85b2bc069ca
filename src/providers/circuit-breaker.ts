export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitOptions {
  /** Consecutive failures that open the circuit. */
  failureThreshold: number;
  /** How long it stays open before one trial call is let through. */
  coolDownMs: number;
}

export interface CircuitSnapshot {
  state: CircuitState;
  consecutiveFailures: number;
  openedAt: number | null;
  /** When an open circuit lets the next trial through. */
  retryAt: number | null;
}

/**
 * A circuit breaker for one provider, in this process: after `failureThreshold` consecutive
 * retryable failures it opens and refuses calls; after `coolDownMs` it half-opens and lets one
 * trial through, whose success closes it and whose failure opens it again. Permanent errors (a bad
 * request) say nothing about the provider's health and do not count. Hand-written: the libraries
 * for this (opossum) wrap the call and own timeouts and retries, which the queue owns here.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | null = null;
  private trialInFlight = false;

  constructor(
    private readonly options: CircuitOptions,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): CircuitState {
    if (this.openedAt === null) return 'closed';
    return this.now() - this.openedAt >= this.options.coolDownMs ? 'half_open' : 'open';
  }

  snapshot(): CircuitSnapshot {
    return {
      state: this.state,
      consecutiveFailures: this.failures,
      openedAt: this.openedAt,
      retryAt: this.openedAt === null ? null : this.openedAt + this.options.coolDownMs,
    };
  }

  /** Whether a call may go out now; in half-open state only one trial at a time. */
  tryAcquire(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  recordSuccess(): void {
    this.failures = 0;
    this.openedAt = null;
    this.trialInFlight = false;
  }

  recordFailure(): void {
    this.trialInFlight = false;
    this.failures++;
    if (this.openedAt !== null || this.failures >= this.options.failureThreshold) this.openedAt = this.now();
  }

  /** A call that ended without telling anything about the provider's health (a permanent error). */
  recordNeutral(): void {
    if (this.trialInFlight) {
      this.trialInFlight = false;
      this.recordSuccess();
    }
  }
}
