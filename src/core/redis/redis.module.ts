import { Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { AppConfig } from '../config/app-config';
import { redisConnectionOptions } from './redis-options';

export const REDIS = Symbol('REDIS');

/**
 * The app's own Redis connection (locks, idempotency keys, rate limits, health). Commands fail
 * fast while Redis is down instead of queueing, so a probe answers 503 rather than hanging.
 */
export function createRedis(config: AppConfig, name: string): Redis {
  const redis = new Redis({
    ...redisConnectionOptions(config.redis),
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 5000,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  // Connection errors (Redis restarting, a Sentinel failover in progress) are retried by ioredis;
  // logged at most every 5 s instead of ioredis' "Unhandled error event" on stderr.
  const logger = new Logger('Redis');
  let last = 0;
  redis.on('error', (err: Error) => {
    if (Date.now() - last < 5000) return;
    last = Date.now();
    logger.warn({ err: err.message }, `Redis connection error (retrying): ${err.message}`);
  });
  return redis;
}

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
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
    RedisCloser,
  ],
  exports: [REDIS],
})
export class RedisModule {}
