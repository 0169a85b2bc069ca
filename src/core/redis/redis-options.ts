import type { RedisOptions } from 'ioredis';
import type { RedisConfig } from '../config/app-config';

/** ioredis options from a redis:// or rediss:// URL (BullMQ takes options, not a URL). */
export function redisOptionsFromUrl(url: string): RedisOptions {
  const u = new URL(url);
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new Error(`REDIS_URL: "${u.pathname}" is not a database number`);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db,
    tls: u.protocol === 'rediss:' ? {} : undefined,
  };
}

/** ioredis' options without a retry strategy (each client sets its own; BullMQ's type has no `null` for it). */
export type ConnectionOptions = Omit<RedisOptions, 'retryStrategy'>;

/**
 * The connection options of every Redis client of the app (its own and BullMQ's). With Sentinel,
 * ioredis asks the sentinels for the group's primary, connects to it, and on a failover (the
 * primary drops the connection, or answers READONLY as a demoted replica) asks again and
 * reconnects to the new one; the URL then contributes the primary's credentials, database and TLS.
 */
export function redisConnectionOptions(redis: RedisConfig): ConnectionOptions {
  const base = redisOptionsFromUrl(redis.url);
  if (!redis.sentinel) return base;
  return {
    ...base,
    host: undefined,
    port: undefined,
    name: redis.sentinel.name,
    sentinels: redis.sentinel.hosts.map((hp) => {
      const at = hp.lastIndexOf(':');
      return { host: hp.slice(0, at), port: Number(hp.slice(at + 1)) };
    }),
    sentinelPassword: redis.sentinel.password,
    // Sentinels reached over TLS when the primary is (rediss://).
    enableTLSForSentinelMode: base.tls !== undefined,
    // A demoted primary answers writes with READONLY (the command did not run): reconnect, through
    // the sentinels, to the new primary and send the command again (2).
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
  };
}
