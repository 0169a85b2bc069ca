import { createTestApp, TestApp } from './helpers/test-app';
import { expectProblem } from './helpers/problem';

/** Per-key request rate limits in Redis: API_RATE_LIMIT_PER_MINUTE, shared by every API process. */
describe('API rate limit per key', () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    // Two API processes (apps) on one Redis prefix: the limit is shared, not per process.
    a = await createTestApp(__filename, { env: { API_RATE_LIMIT_PER_MINUTE: '6' }, keepRedisPrefix: true });
    b = await createTestApp(__filename, { env: { API_RATE_LIMIT_PER_MINUTE: '6', QUEUE_PREFIX: process.env.QUEUE_PREFIX ?? '' }, keepRedisPrefix: true });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('lets the limit through at once, then answers 429 problem details with Retry-After; the limit is per key and shared by every API process', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await a.http.get('/api/v1/campaigns').set('X-API-Key', 'test-key-0123456789')).status);
    for (let i = 0; i < 3; i++) statuses.push((await b.http.get('/api/v1/campaigns').set('X-API-Key', 'test-key-0123456789')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    const limited = await a.http.get('/api/v1/campaigns').set('X-API-Key', 'test-key-0123456789');
    const problem = expectProblem(limited, 429, 'rate_limited');
    expect(problem.detail).toMatch(/6 requests a minute/);
    const retryAfter = Number(limited.headers['retry-after']);
    // One request's share of the minute (10 s) is what it takes for the next one.
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(10);
    expect(limited.headers['ratelimit-limit']).toBe('6');
    expect(limited.headers['ratelimit-remaining']).toBe('0');
    // Another key has its own allowance.
    const other = await a.http.get('/api/v1/campaigns').set('Authorization', 'Bearer second-key-abcdef').expect(200);
    expect(other.headers['ratelimit-remaining']).toBe('5');
  });

  it('does not limit the open probes, nor count requests refused for a bad key', async () => {
    for (let i = 0; i < 10; i++) await a.http.get('/healthz').expect(200);
    for (let i = 0; i < 10; i++) await a.http.get('/api/v1/campaigns').set('X-API-Key', 'wrong-key').expect(401);
    expect((await a.http.get('/metrics')).status).toBe(200);
  });
});
