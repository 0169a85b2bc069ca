import { Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { AppConfig, maskUrl } from '../config/app-config';
import { REDIS } from '../redis/redis.module';
import { withRedisLock } from '../redis/redis-lock';
import { CompatEventStore } from './compat-event-store';
import { buildDataSourceOptions } from './data-source-options';
import { createSchemaSql } from './schema-sql';
import { TransactionRunner } from './transaction';

const logger = new Logger('Database');

/**
 * DB_APPLY_MIGRATIONS=true: create the schema when the role may, then apply pending migrations,
 * under a Redis lock so that an API and a worker starting together do not race.
 */
async function applyMigrations(dataSource: DataSource, config: AppConfig, redis: Redis): Promise<void> {
  const { schema, compatMode } = config.db;
  if (compatMode) {
    logger.warn('DB_APPLY_MIGRATIONS is ignored in compat mode: the app creates no table (apply artefacts/compat.sql)');
    return;
  }
  await withRedisLock(redis, `${config.redis.queuePrefix}:lock:migrations:${schema}`, async () => {
    await dataSource.query(createSchemaSql(schema));
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    logger.log(applied.length ? `applied ${applied.length} migration(s): ${applied.map((m) => m.name).join(', ')}` : 'schema is up to date');
  }, { ttlMs: 600_000, waitMs: 600_000 });
}

@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig, REDIS],
      useFactory: (config: AppConfig) => ({
        ...buildDataSourceOptions(config.db),
        retryAttempts: config.env === 'test' ? 0 : 5,
        retryDelay: 2000,
      }),
      dataSourceFactory: async (options) => {
        if (!options) throw new Error('no DataSource options');
        return new DataSource(options).initialize();
      },
    }),
  ],
  providers: [
    {
      // Runs once the DataSource is connected; other providers that need the schema inject this.
      provide: 'DATABASE_READY',
      inject: [DataSource, AppConfig, REDIS],
      useFactory: async (dataSource: DataSource, config: AppConfig, redis: Redis) => {
        logger.log(
          `connected to ${maskUrl(config.db.url)} schema=${config.db.schema} mode=${config.db.compatMode ? 'compat' : 'full'} json=${config.db.useJsonb ? 'jsonb' : 'text'}`,
        );
        if (config.db.applyMigrations) await applyMigrations(dataSource, config, redis);
        else logger.log('DB_APPLY_MIGRATIONS=false: the schema is managed by the DBA (docs/DB_HANDOFF.md)');
        return true;
      },
    },
    CompatEventStore,
    TransactionRunner,
  ],
  exports: ['DATABASE_READY', CompatEventStore, TransactionRunner],
})
export class DatabaseModule {}
