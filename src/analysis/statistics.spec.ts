import { intervalsOverlap, percentile, ratio, round, shareOfVoice, wilsonInterval } from './statistics';

describe('wilsonInterval', () => {
  it('matches published values (Newcombe 1998, method 3)', () => {
    // 81/263: 0.2553–0.3662; 15/148: 0.0624–0.1605; 0/20: 0–0.1611; 1/29: 0.0061–0.1718.
    const cases: [number, number, number, number][] = [
      [81, 263, 0.2553, 0.3662],
      [15, 148, 0.0624, 0.1605],
      [0, 20, 0, 0.1611],
      [1, 29, 0.0061, 0.1718],
    ];
    for (const [k, n, lo, hi] of cases) {
      const [a, b] = wilsonInterval(k, n);
      expect(a).toBeCloseTo(lo, 4);
      expect(b).toBeCloseTo(hi, 4);
    }
  });

  it('stays inside [0, 1], contains the estimate, and narrows as n grows', () => {
    for (const [k, n] of [
      [0, 1],
      [1, 1],
      [5, 10],
      [10, 10],
      [3, 1000],
    ]) {
      const [lo, hi] = wilsonInterval(k, n);
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThanOrEqual(1);
      expect(lo).toBeLessThanOrEqual(k / n);
      expect(hi).toBeGreaterThanOrEqual(k / n);
    }
    const width = (k: number, n: number): number => wilsonInterval(k, n)[1] - wilsonInterval(k, n)[0];
    expect(width(50, 100)).toBeGreaterThan(width(500, 1000));
    expect(width(500, 1000)).toBeGreaterThan(width(5000, 10000));
  });

  it('is symmetric: the interval of k/n mirrors that of (n-k)/n', () => {
    const [lo, hi] = wilsonInterval(7, 30);
    const [lo2, hi2] = wilsonInterval(23, 30);
    expect(lo).toBeCloseTo(1 - hi2, 12);
    expect(hi).toBeCloseTo(1 - lo2, 12);
  });

  it('answers [0, 1] when nothing is known, and clamps impossible counts', () => {
    expect(wilsonInterval(0, 0)).toEqual([0, 1]);
    expect(wilsonInterval(5, -1)).toEqual([0, 1]);
    expect(wilsonInterval(12, 10)).toEqual(wilsonInterval(10, 10));
  });
});

describe('intervalsOverlap', () => {
  it('tells a change within the noise from one outside it', () => {
    expect(intervalsOverlap(wilsonInterval(15, 30), wilsonInterval(18, 30))).toBe(true);
    expect(intervalsOverlap(wilsonInterval(100, 1000), wilsonInterval(300, 1000))).toBe(false);
    expect(intervalsOverlap([0.1, 0.2], [0.2, 0.3])).toBe(true);
  });
});

describe('shareOfVoice', () => {
  it("is the brand's mentions over all tracked brands' mentions", () => {
    expect(shareOfVoice(30, 30 + 20 + 10)).toBeCloseTo(0.5, 12);
    expect(shareOfVoice(0, 25)).toBe(0);
    expect(shareOfVoice(0, 0)).toBe(0);
    expect(shareOfVoice(7, 7)).toBe(1);
  });
});

describe('percentile, ratio, round', () => {
  it("interpolates like PostgreSQL's percentile_cont", () => {
    expect(percentile([10, 20, 30, 40], 0.5)).toBe(25);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21], 0.95)).toBe(20);
    expect(percentile([5], 0.95)).toBe(5);
    expect(percentile([], 0.5)).toBeNull();
  });

  it('answers null for no denominator and rounds to 4 places', () => {
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(1, 3)).toBeCloseTo(1 / 3, 12);
    expect(round(1 / 3)).toBe(0.3333);
    expect(round(null)).toBeNull();
    expect(round(Number.NaN)).toBeNull();
  });
});
