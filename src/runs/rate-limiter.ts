import type Redis from 'ioredis';

/**
 * A token bucket per provider in Redis, shared by every worker process: `qps` tokens a second
 * refill a bucket of `burst`; each call takes one. In any window of t seconds at most
 * qps·t + burst calls are granted, whichever process asks. A provider's 429 with Retry-After
 * pauses the bucket for everyone (`pause`). The clock is Redis' own (TIME inside the script), so
 * processes on machines whose clocks disagree still share one timeline. BullMQ's limiter is per
 * queue and cannot take a Retry-After; group rate limits are a paid BullMQ feature.
 */
const TAKE = `
local paused = redis.call('PTTL', KEYS[2])
if paused > 0 then return {0, paused} end
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = redis.call('TIME')
local nowms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then tokens = burst; ts = nowms end
tokens = math.min(burst, tokens + math.max(0, nowms - ts) * rate / 1000)
local ttl = math.ceil(burst * 1000 / rate) + 1000
if tokens >= 1 then
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - 1), 'ts', tostring(nowms))
  redis.call('PEXPIRE', KEYS[1], ttl)
  return {1, 0}
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(nowms))
redis.call('PEXPIRE', KEYS[1], ttl)
return {0, math.ceil((1 - tokens) * 1000 / rate)}
`;

export interface BucketLimits {
  qps: number;
  burst: number;
}

export interface TakeResult {
  granted: boolean;
  /** When not granted: how long until a token (or the end of a pause) is due, in ms. */
  waitMs: number;
}

export class RedisTokenBucket {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private keys(name: string): [string, string] {
    return [`${this.prefix}:bucket:${name}`, `${this.prefix}:bucket:${name}:paused`];
  }

  async take(name: string, limits: BucketLimits): Promise<TakeResult> {
    if (!(limits.qps > 0) || !(limits.burst >= 1)) throw new Error(`invalid limits for ${name}: qps ${limits.qps}, burst ${limits.burst}`);
    const [granted, wait] = (await this.redis.eval(TAKE, 2, ...this.keys(name), String(limits.qps), String(limits.burst))) as [number, number];
    return { granted: granted === 1, waitMs: granted === 1 ? 0 : Math.max(1, Number(wait)) };
  }

  /** Stops granting for `ms` (a provider's Retry-After); a longer pause already running is kept. */
  async pause(name: string, ms: number): Promise<void> {
    const key = this.keys(name)[1];
    const current = await this.redis.pttl(key);
    if (current < ms) await this.redis.set(key, '1', 'PX', Math.max(1, Math.round(ms)));
  }

  /** Milliseconds of pause left (0 when none). */
  async pausedFor(name: string): Promise<number> {
    return Math.max(0, await this.redis.pttl(this.keys(name)[1]));
  }
}
