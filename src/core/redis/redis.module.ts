import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis, { Cluster } from 'ioredis';
import { AppConfig } from '../config/app-config';
import { ConnectionOptions, createCluster, redisConnectionOptions } from './redis-options';

export const REDIS = Symbol('REDIS');
/** What BullMQ connects with: options (one server, Sentinel) or, in a Redis Cluster, one shared Cluster client. */
export const BULLMQ_CONNECTION = Symbol('BULLMQ_CONNECTION');

/** Connection errors are retried by ioredis; logged at most every 5 s instead of ioredis' "Unhandled error event" on stderr. */
function logErrors(client: Redis | Cluster, name: string): void {
  const logger = new Logger('Redis');
  let last = 0;
  client.on('error', (err: Error) => {
    if (Date.now() - last < 5000) return;
    last = Date.now();
    logger.warn({ err: err.message, connection: name }, `Redis connection error (retrying): ${err.message}`);
  });
}

/**
 * The app's own Redis connection (locks, idempotency keys, rate limits, health). Commands fail
 * fast while Redis is down instead of queueing, so a probe answers 503 rather than hanging.
 *
 * In a Redis Cluster this is an ioredis Cluster, typed as Redis: the app uses only commands both
 * have with the same signatures (GET, SET, DEL, EVAL, PING, QUIT), each on keys of one slot (the
 * `{prefix}` hash tag), which the Cluster routes to the node holding that slot.
 */
export function createRedis(config: AppConfig, name: string): Redis {
  const timeouts = { connectionName: name, maxRetriesPerRequest: 1, connectTimeout: 5000 };
  const client = config.redis.cluster
    ? (createCluster(config.redis, timeouts, { enableOfflineQueue: false, clusterRetryStrategy: (times) => Math.min(times * 200, 2000) }) as unknown as Redis)
    : new Redis({ ...redisConnectionOptions(config.redis), ...timeouts, enableOfflineQueue: false, retryStrategy: (times) => Math.min(times * 200, 2000) });
  logErrors(client, name);
  return client;
}

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(BULLMQ_CONNECTION) private readonly bullmq: ConnectionOptions | Cluster,
  ) {}

  /**
   * RedisModule is global and scanned before QueueModule, so Nest runs this after BullMQ's own
   * shutdown hooks (global modules shut down in reverse order of scanning): the queues and workers
   * are closed before the shared Cluster client they use.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
    if (this.bullmq instanceof Cluster) await this.bullmq.quit().catch(() => (this.bullmq as Cluster).disconnect());
  }
}

@Global()
@Module({
  providers: [
    {
      provide: REDIS,
      inject: [AppConfig],
      useFactory: async (config: AppConfig) => {
        const redis = createRedis(config, 'geo-app');
        // Wait for the first connection so that start-up fails loudly if Redis is unreachable.
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`Redis did not answer within 10 s`)), 10_000);
          redis.once('ready', () => {
            clearTimeout(timer);
            resolve();
          });
        }).catch((err: unknown) => {
          redis.disconnect();
          throw err;
        });
        return redis;
      },
    },
    {
      provide: BULLMQ_CONNECTION,
      inject: [AppConfig],
      useFactory: (config: AppConfig): ConnectionOptions | Cluster => {
        // BullMQ workers need blocking commands to wait indefinitely (no retry limit per request).
        if (!config.redis.cluster) return { ...redisConnectionOptions(config.redis), maxRetriesPerRequest: null };
        // BullMQ creates a standalone client from options, so a cluster is handed over as a client;
        // BullMQ shares it between queues and duplicates it for each worker's blocking connection.
        const cluster = createCluster(config.redis, { connectionName: 'geo-bullmq', maxRetriesPerRequest: null });
        logErrors(cluster, 'geo-bullmq');
        return cluster;
      },
    },
    RedisCloser,
  ],
  exports: [REDIS, BULLMQ_CONNECTION],
})
export class RedisModule {}
