import { defaultConfig, type FaultConfig } from './config';
import { AttemptCounter, decideFaults, parseFaultOverride, SlidingWindowCounter } from './faults';
import { createRng, rngFor } from './random';

const none: FaultConfig = defaultConfig().providers.openai.faults;

describe('SlidingWindowCounter', () => {
  it('counts arrivals in the last second and keeps the maximum of any window', () => {
    const w = new SlidingWindowCounter(1000);
    expect(w.record(0)).toBe(1);
    expect(w.record(100)).toBe(2);
    expect(w.record(999)).toBe(3);
    // 1000 ms after the first arrival it has left the window.
    expect(w.record(1000)).toBe(3);
    expect(w.record(1500)).toBe(3);
    expect(w.max).toBe(3);
    expect(w.count(2600)).toBe(0);
    expect(w.max).toBe(3);
  });

  it('finds the busiest window of a burst and grows past its initial capacity', () => {
    const w = new SlidingWindowCounter(1000);
    for (let i = 0; i < 5000; i++) w.record(10_000 + i * 0.1); // 5000 arrivals within 500 ms
    for (let i = 0; i < 100; i++) w.record(20_000 + i * 100); // then 10 per second
    expect(w.max).toBe(5000);
    expect(w.count(29_900)).toBe(10);
    w.reset();
    expect(w.max).toBe(0);
  });
});

describe('decideFaults', () => {
  it('never faults with zero rates', () => {
    const rng = createRng(1);
    for (let i = 0; i < 1000; i++) expect(decideFaults(rng, none, null)).toEqual({ transport: { kind: 'none' }, content: 'normal' });
  });

  it('draws each fault at about its rate, reproducibly for a seed', () => {
    const faults: FaultConfig = { ...none, rate429: 0.1, rate5xx: 0.2, status5xx: 502, rateTimeout: 0.05, rateMalformed: 0.05, rateRefusal: 0.3 };
    const draw = () => Array.from({ length: 5000 }, (_, i) => decideFaults(rngFor('seed', i), faults, null));
    const a = draw();
    expect(draw()).toEqual(a);
    const share = (pred: (d: (typeof a)[number]) => boolean) => a.filter(pred).length / a.length;
    expect(share((d) => d.transport.kind === '429')).toBeCloseTo(0.1, 1);
    expect(share((d) => d.transport.kind === '5xx' && d.transport.status === 502)).toBeCloseTo(0.2, 1);
    expect(share((d) => d.transport.kind === 'none')).toBeCloseTo(0.6, 1);
    expect(share((d) => d.content === 'refusal')).toBeCloseTo(0.3, 1);
  });

  it('obeys the override header exactly', () => {
    const rng = createRng(7);
    const faults = { ...none, retryAfterSeconds: 7 };
    expect(decideFaults(rng, faults, '429').transport).toEqual({ kind: '429', retryAfterSeconds: 7 });
    expect(decideFaults(rng, faults, '502').transport).toEqual({ kind: '5xx', status: 502 });
    expect(decideFaults(rng, faults, 'timeout').transport).toEqual({ kind: 'timeout' });
    expect(decideFaults(rng, faults, 'empty')).toEqual({ transport: { kind: 'none' }, content: 'empty' });
  });
});

describe('parseFaultOverride', () => {
  it('accepts the documented values, case-insensitively, and flags anything else', () => {
    expect(parseFaultOverride(undefined)).toBeNull();
    expect(parseFaultOverride('')).toBeNull();
    expect(parseFaultOverride(' Timeout ')).toBe('timeout');
    expect(parseFaultOverride(['nocitations'])).toBe('nocitations');
    expect(parseFaultOverride('418')).toBe('invalid');
  });
});

describe('AttemptCounter', () => {
  it('numbers the attempts of each request independently', () => {
    const c = new AttemptCounter(3);
    expect([c.next('a'), c.next('b'), c.next('a'), c.next('a')]).toEqual([0, 0, 1, 2]);
    c.next('c');
    // At the limit, a new key starts the map over instead of growing it.
    expect(c.next('d')).toBe(0);
    expect(c.next('a')).toBe(0);
  });
});
