import { PROVIDERS, type ProviderName } from './config';
import { SlidingWindowCounter } from './faults';

/**
 * Per-provider counters: calls received, answers by status ("200", "429", …, plus "timeout" for
 * requests held until the client gave up and "aborted" for clients that left during the
 * latency), the most requests received in any 1-second sliding window, and how many requests
 * the QPS ceiling rejected. The same window feeds the ceiling, so the two always agree.
 */

export interface ProviderStatsSnapshot {
  calls: number;
  byStatus: Record<string, number>;
  maxPerSecond: number;
  qpsViolations: number;
  /** Requests currently held open by the timeout fault. */
  held: number;
}

export interface StatsSnapshot {
  startedAt: string;
  providers: Record<ProviderName, ProviderStatsSnapshot>;
  total: { calls: number; maxPerSecond: number };
  redirects: number;
}

class ProviderStats {
  calls = 0;
  qpsViolations = 0;
  held = 0;
  readonly byStatus = new Map<string, number>();
  readonly window = new SlidingWindowCounter(1000);

  snapshot(): ProviderStatsSnapshot {
    return {
      calls: this.calls,
      byStatus: Object.fromEntries([...this.byStatus.entries()].sort(([a], [b]) => a.localeCompare(b))),
      maxPerSecond: this.window.max,
      qpsViolations: this.qpsViolations,
      held: this.held,
    };
  }
}

export class EmulatorStats {
  private startedAt = new Date();
  private perProvider = EmulatorStats.fresh();
  private readonly totalWindow = new SlidingWindowCounter(1000);
  private totalCalls = 0;
  private redirectCount = 0;

  private static fresh(): Record<ProviderName, ProviderStats> {
    return Object.fromEntries(PROVIDERS.map((p) => [p, new ProviderStats()])) as Record<ProviderName, ProviderStats>;
  }

  /** Records an arrival at `now` (monotonic ms) and returns the provider's count in the last second. */
  arrive(provider: ProviderName, now: number): number {
    const s = this.perProvider[provider];
    s.calls++;
    this.totalCalls++;
    this.totalWindow.record(now);
    return s.window.record(now);
  }

  answered(provider: ProviderName, status: number | 'timeout' | 'aborted'): void {
    const byStatus = this.perProvider[provider].byStatus;
    const key = String(status);
    byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
  }

  qpsViolation(provider: ProviderName): void {
    this.perProvider[provider].qpsViolations++;
  }

  holding(provider: ProviderName, delta: 1 | -1): void {
    this.perProvider[provider].held += delta;
  }

  redirected(): void {
    this.redirectCount++;
  }

  snapshot(): StatsSnapshot {
    return {
      startedAt: this.startedAt.toISOString(),
      providers: Object.fromEntries(PROVIDERS.map((p) => [p, this.perProvider[p].snapshot()])) as Record<ProviderName, ProviderStatsSnapshot>,
      total: { calls: this.totalCalls, maxPerSecond: this.totalWindow.max },
      redirects: this.redirectCount,
    };
  }

  /** Clears the counters; requests still held keep being counted as held until they end. */
  reset(): void {
    const held = PROVIDERS.map((p) => this.perProvider[p].held);
    this.startedAt = new Date();
    this.perProvider = EmulatorStats.fresh();
    PROVIDERS.forEach((p, i) => (this.perProvider[p].held = held[i]));
    this.totalWindow.reset();
    this.totalCalls = 0;
    this.redirectCount = 0;
  }
}
