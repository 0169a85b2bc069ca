import { BullModule, getQueueToken } from '@nestjs/bullmq';
import { Global, Injectable, Logger, Module, OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bullmq';
import { AppConfig } from '../config/app-config';
import type { Cluster } from 'ioredis';
import type { ConnectionOptions } from '../redis/redis-options';
import { BULLMQ_CONNECTION } from '../redis/redis.module';
import { ALL_QUEUES } from './queue-names';

const ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * A queue whose Redis connection fails emits 'error' on every retry; without a listener BullMQ
 * prints each one raw. Log them as structured warnings, at most one per queue per interval.
 */
@Injectable()
class QueueErrorLogger implements OnModuleInit {
  private readonly logger = new Logger('Queue');
  private readonly last = new Map<string, number>();

  constructor(private readonly moduleRef: ModuleRef) {}

  onModuleInit(): void {
    for (const name of ALL_QUEUES) {
      const queue = this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
      queue.on('error', (err: Error) => {
        const now = Date.now();
        if (now - (this.last.get(name) ?? 0) < ERROR_LOG_INTERVAL_MS) return;
        this.last.set(name, now);
        this.logger.warn({ queue: name, err: err.message }, `queue ${name}: ${err.message}`);
      });
    }
  }
}

/** The BullMQ connection and the queue registrations, shared by both entrypoints. */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [AppConfig, BULLMQ_CONNECTION],
      useFactory: (config: AppConfig, connection: ConnectionOptions | Cluster) => ({
        prefix: config.redis.queuePrefix,
        connection,
        defaultJobOptions: { removeOnComplete: { age: 3600, count: 10_000 }, removeOnFail: { age: 7 * 24 * 3600 } },
      }),
    }),
    BullModule.registerQueue(...ALL_QUEUES.map((name) => ({ name }))),
  ],
  providers: [QueueErrorLogger],
  exports: [BullModule],
})
export class QueueModule {}
