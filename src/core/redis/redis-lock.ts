import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * Runs fn while holding a Redis lock (SET NX PX, released only by its owner). The project takes no
 * database locks: Redis holds them.
 */
export async function withRedisLock<T>(
  redis: Redis,
  key: string,
  fn: () => Promise<T>,
  opts: { ttlMs?: number; waitMs?: number } = {},
): Promise<T> {
  const ttl = opts.ttlMs ?? 60_000;
  const deadline = Date.now() + (opts.waitMs ?? 120_000);
  const token = randomUUID();
  while ((await redis.set(key, token, 'PX', ttl, 'NX')) !== 'OK') {
    if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${key}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    return await fn();
  } finally {
    await redis.eval(RELEASE, 1, key, token);
  }
}

/**
 * Takes a Redis lock if it is free, without waiting: the release function (only the owner's token
 * is deleted, as withRedisLock does), or null when someone else holds it.
 */
export async function tryRedisLock(redis: Redis, key: string, ttlMs: number): Promise<(() => Promise<void>) | null> {
  const token = randomUUID();
  if ((await redis.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') return null;
  return async () => {
    await redis.eval(RELEASE, 1, key, token);
  };
}
