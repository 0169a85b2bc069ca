import { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
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

const hostPort = (hp: string): { host: string; port: number } => {
  const at = hp.lastIndexOf(':');
  return { host: hp.slice(0, at), port: Number(hp.slice(at + 1)) };
};

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
    sentinels: redis.sentinel.hosts.map(hostPort),
    sentinelPassword: redis.sentinel.password,
    // Sentinels reached over TLS when the primary is (rediss://).
    enableTLSForSentinelMode: base.tls !== undefined,
    // A demoted primary answers writes with READONLY (the command did not run): reconnect, through
    // the sentinels, to the new primary and send the command again (2).
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
  };
}

/**
 * A Redis Cluster client (REDIS_CLUSTER_NODES): the seed nodes find the rest, the URL gives each
 * node's credentials and TLS (a cluster has no databases but 0). `node` holds the per-node
 * options (timeouts, retries per request); `cluster` the cluster-level ones (offline queue).
 * Keys are routed by slot; the app's keys all share the `{prefix}` hash tag, so every script and
 * every BullMQ command finds its keys on one node.
 */
export function createCluster(redis: RedisConfig, node: RedisOptions, cluster: Partial<ClusterOptions> = {}): Cluster {
  if (!redis.cluster) throw new Error('createCluster: REDIS_CLUSTER_NODES is not set');
  const { username, password, tls } = redisOptionsFromUrl(redis.url);
  return new Cluster(redis.cluster.nodes.map(hostPort), {
    ...cluster,
    redisOptions: { username, password, tls, ...node },
    // A node moved or failed over: follow the MOVED/ASK redirections and refresh the slot map.
    slotsRefreshTimeout: 2000,
  });
}
