import Redis from 'ioredis';
import { randomBytes } from 'node:crypto';
import { RedisTokenBucket, type TakeResult } from '../src/runs/rate-limiter';
import { dropRedisPrefix } from './helpers/schema';

/** The shared token bucket, against the real Redis, with several clients standing for worker processes. */
describe('RedisTokenBucket', () => {
  const prefix = `test-bucket-${randomBytes(4).toString('hex')}`;
  const clients: Redis[] = [];
  const bucket = (): RedisTokenBucket => {
    const r = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    clients.push(r);
    return new RedisTokenBucket(r, prefix);
  };
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await dropRedisPrefix(prefix);
  });

  it('grants the burst at once, then refuses with the wait until the next token', async () => {
    const b = bucket();
    const limits = { qps: 10, burst: 4 };
    const results: TakeResult[] = [];
    for (let i = 0; i < 6; i++) results.push(await b.take('burst', limits));
    expect(results.slice(0, 4).every((r) => r.granted)).toBe(true);
    expect(results[4].granted).toBe(false);
    expect(results[4].waitMs).toBeGreaterThan(0);
    expect(results[4].waitMs).toBeLessThanOrEqual(100);
    await new Promise((r) => setTimeout(r, results[4].waitMs + 5));
    expect((await b.take('burst', limits)).granted).toBe(true);
  });

  it('never grants more than qps·t + burst across several processes, and reaches close to it', async () => {
    const workers = [bucket(), bucket(), bucket()];
    const limits = { qps: 50, burst: 10 };
    const granted: number[] = [];
    const started = Date.now();
    const durationMs = 2000;
    await Promise.all(
      workers.map(async (b) => {
        while (Date.now() - started < durationMs) {
          const r = await b.take('shared', limits);
          if (r.granted) granted.push(Date.now());
          else await new Promise((res) => setTimeout(res, Math.min(r.waitMs, 20)));
        }
      }),
    );
    const elapsed = (Date.now() - started) / 1000;
    expect(granted.length).toBeLessThanOrEqual(Math.ceil(limits.qps * elapsed + limits.burst));
    expect(granted.length).toBeGreaterThanOrEqual(Math.floor((limits.qps * durationMs) / 1000 * 0.8));
    // In any 1-second window: at most qps + burst.
    granted.sort((a, b) => a - b);
    for (let i = 0, j = 0; i < granted.length; i++) {
      while (granted[i] - granted[j] >= 1000) j++;
      expect(i - j + 1).toBeLessThanOrEqual(limits.qps + limits.burst + 1);
    }
  });

  it('pauses every process for a Retry-After, keeping the longer of two pauses', async () => {
    const [a, b] = [bucket(), bucket()];
    const limits = { qps: 100, burst: 100 };
    await a.pause('throttled', 300);
    await b.pause('throttled', 50);
    const r = await b.take('throttled', limits);
    expect(r.granted).toBe(false);
    expect(r.waitMs).toBeGreaterThan(200);
    expect(await a.pausedFor('throttled')).toBeGreaterThan(200);
    await new Promise((res) => setTimeout(res, 320));
    expect((await a.take('throttled', limits)).granted).toBe(true);
    expect(await a.pausedFor('throttled')).toBe(0);
  });

  it('refuses nonsense limits', async () => {
    await expect(bucket().take('x', { qps: 0, burst: 1 })).rejects.toThrow(/invalid limits/);
  });
});
