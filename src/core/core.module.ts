import { Module } from '@nestjs/common';
import { AppConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { QueueModule } from './queue/queue.module';
import { RedisModule } from './redis/redis.module';

/** What every feature and both entrypoints need: config, logs, metrics, Postgres, Redis, BullMQ. */
@Module({
  imports: [AppConfigModule, LoggingModule, MetricsModule, RedisModule, DatabaseModule, QueueModule],
})
export class CoreModule {}
