import type { FaultConfig } from './config';
import type { Rng } from './random';

/**
 * Fault injection: which failure (if any) a request gets, and the per-provider QPS ceiling.
 *
 * Two independent draws per request: a transport fault (429, 5xx, timeout, malformed JSON) and a
 * content mode (empty answer, refusal, no citations). The X-Emulator-Fault header forces one of
 * them, so a test can ask for exactly the failure it exercises.
 */

export type TransportFault =
  | { kind: 'none' }
  | { kind: '429'; retryAfterSeconds: number }
  | { kind: '5xx'; status: 500 | 502 | 503 }
  | { kind: 'timeout' }
  | { kind: 'malformed' };

export type ContentMode = 'normal' | 'empty' | 'refusal' | 'nocitations';

export interface FaultDecision {
  transport: TransportFault;
  content: ContentMode;
}

export const FAULT_OVERRIDES = ['429', '500', '502', '503', 'timeout', 'malformed', 'refusal', 'empty', 'nocitations'] as const;
export type FaultOverride = (typeof FAULT_OVERRIDES)[number];

/** Reads X-Emulator-Fault; null when absent, 'invalid' when present but not one of FAULT_OVERRIDES. */
export function parseFaultOverride(header: string | string[] | undefined): FaultOverride | null | 'invalid' {
  if (header === undefined) return null;
  const value = (Array.isArray(header) ? header[0] : header).trim().toLowerCase();
  if (value === '') return null;
  return (FAULT_OVERRIDES as readonly string[]).includes(value) ? (value as FaultOverride) : 'invalid';
}

export function decideFaults(rng: Rng, faults: FaultConfig, override: FaultOverride | null): FaultDecision {
  if (override !== null) return forced(override, faults);
  // Both draws happen on every request so the content draw does not depend on the transport one.
  const t = rng();
  const c = rng();
  let transport: TransportFault = { kind: 'none' };
  let edge = faults.rate429;
  if (t < edge) transport = { kind: '429', retryAfterSeconds: faults.retryAfterSeconds };
  else if (t < (edge += faults.rate5xx)) transport = { kind: '5xx', status: faults.status5xx };
  else if (t < (edge += faults.rateTimeout)) transport = { kind: 'timeout' };
  else if (t < (edge += faults.rateMalformed)) transport = { kind: 'malformed' };

  let content: ContentMode = 'normal';
  edge = faults.rateEmpty;
  if (c < edge) content = 'empty';
  else if (c < (edge += faults.rateRefusal)) content = 'refusal';
  else if (c < (edge += faults.rateNoCitations)) content = 'nocitations';
  return { transport, content };
}

function forced(override: FaultOverride, faults: FaultConfig): FaultDecision {
  switch (override) {
    case '429':
      return { transport: { kind: '429', retryAfterSeconds: faults.retryAfterSeconds }, content: 'normal' };
    case '500':
    case '502':
    case '503':
      return { transport: { kind: '5xx', status: Number(override) as 500 | 502 | 503 }, content: 'normal' };
    case 'timeout':
      return { transport: { kind: 'timeout' }, content: 'normal' };
    case 'malformed':
      return { transport: { kind: 'malformed' }, content: 'normal' };
    case 'refusal':
    case 'empty':
    case 'nocitations':
      return { transport: { kind: 'none' }, content: override };
  }
}

/**
 * Arrivals in the last `windowMs` (a sliding log in a ring buffer, so thousands of requests per
 * second cost no allocation). `record` returns the count including the new arrival, which is both
 * the QPS ceiling's test and the "max requests in any 1-second window" statistic: the busiest
 * window always ends at an arrival, so the maximum over arrivals is the exact maximum.
 */
export class SlidingWindowCounter {
  private buf = new Float64Array(1024);
  private head = 0;
  private size = 0;
  private peak = 0;

  constructor(private readonly windowMs = 1000) {}

  record(now: number): number {
    this.evict(now);
    if (this.size === this.buf.length) this.grow();
    this.buf[(this.head + this.size) % this.buf.length] = now;
    this.size++;
    if (this.size > this.peak) this.peak = this.size;
    return this.size;
  }

  /** Arrivals within the window ending at `now`. */
  count(now: number): number {
    this.evict(now);
    return this.size;
  }

  get max(): number {
    return this.peak;
  }

  reset(): void {
    this.head = 0;
    this.size = 0;
    this.peak = 0;
  }

  private evict(now: number): void {
    const cutoff = now - this.windowMs;
    while (this.size > 0 && this.buf[this.head] <= cutoff) {
      this.head = (this.head + 1) % this.buf.length;
      this.size--;
    }
  }

  private grow(): void {
    const next = new Float64Array(this.buf.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = this.buf[(this.head + i) % this.buf.length];
    this.buf = next;
    this.head = 0;
  }
}

/**
 * How many times each distinct request has been seen. The fault draw is seeded by (request, n-th
 * attempt) rather than by arrival order, so concurrent clients get the same faults run after run,
 * and a retried request draws again instead of failing forever. Bounded: past `limit` distinct
 * keys the map starts over, which only re-numbers attempts of very old requests.
 */
export class AttemptCounter {
  private readonly seen = new Map<string, number>();

  constructor(private readonly limit = 500_000) {}

  next(key: string): number {
    const n = this.seen.get(key) ?? 0;
    if (n === 0 && this.seen.size >= this.limit) this.seen.clear();
    this.seen.set(key, n + 1);
    return n;
  }

  reset(): void {
    this.seen.clear();
  }
}
