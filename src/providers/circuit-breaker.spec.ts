import { CircuitBreaker } from './circuit-breaker';

describe('CircuitBreaker', () => {
  let now = 0;
  const breaker = (): CircuitBreaker => new CircuitBreaker({ failureThreshold: 3, coolDownMs: 1000 }, () => now);

  beforeEach(() => {
    now = 0;
  });

  it('opens after consecutive failures, half-opens after the cool-down, closes on a successful trial', () => {
    const b = breaker();
    b.recordFailure();
    b.recordFailure();
    expect(b.state).toBe('closed');
    b.recordSuccess();
    b.recordFailure();
    b.recordFailure();
    expect(b.tryAcquire()).toBe(true);
    b.recordFailure();
    expect(b.state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    now = 999;
    expect(b.tryAcquire()).toBe(false);
    now = 1000;
    expect(b.state).toBe('half_open');
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false); // one trial at a time
    b.recordSuccess();
    expect(b.snapshot()).toEqual({ state: 'closed', consecutiveFailures: 0, openedAt: null, retryAt: null });
  });

  it('opens again for a full cool-down when the trial fails', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) b.recordFailure();
    now = 1500;
    expect(b.tryAcquire()).toBe(true);
    b.recordFailure();
    expect(b.snapshot()).toMatchObject({ state: 'open', openedAt: 1500, retryAt: 2500 });
    now = 2500;
    expect(b.tryAcquire()).toBe(true);
  });

  it('treats a permanent error in the trial as proof the provider answers', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) b.recordFailure();
    now = 1000;
    b.tryAcquire();
    b.recordNeutral();
    expect(b.state).toBe('closed');
  });
});
