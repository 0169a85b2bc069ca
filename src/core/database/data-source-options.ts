import { DataSourceOptions } from 'typeorm';
import { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { MIGRATIONS } from '../../../migrations';
import { ENTITIES } from '../../entities';
import type { DatabaseConfig } from '../config/app-config';
import { applyJsonColumnMode } from './json-column';

export const MIGRATIONS_TABLE = 'migrations';

/**
 * DataSource options for the full schema or compat mode. Tables are always schema-qualified
 * (the `schema` option), so nothing depends on `search_path`, which a transaction-pooling
 * pgbouncer does not keep.
 */
export function buildDataSourceOptions(db: DatabaseConfig, applicationName = 'geo-visibility-engine'): DataSourceOptions {
  applyJsonColumnMode(db.useJsonb);
  const max = db.pool.size + db.pool.maxOverflow;
  // node-postgres has no pre-ping; its equivalent is TCP keepalive plus the pool dropping any
  // client that errors while idle, and recycling connections past a maximum age.
  const extra: Record<string, unknown> = {
    max,
    min: db.pgbouncer ? 0 : Math.min(db.pool.size, 2),
    idleTimeoutMillis: db.pool.idleTimeoutMs,
    connectionTimeoutMillis: db.connectTimeoutMs,
    maxLifetimeSeconds: db.pool.recycleSeconds,
    keepAlive: db.pool.prePing,
    keepAliveInitialDelayMillis: 10_000,
    application_name: applicationName,
  };
  // pgbouncer (transaction pooling) refuses unknown startup parameters, so the statement timeout
  // is only sent to a direct connection.
  if (!db.pgbouncer && db.statementTimeoutMs > 0) extra.options = `-c statement_timeout=${db.statementTimeoutMs}`;

  const options: PostgresConnectionOptions = {
    type: 'postgres',
    url: db.url,
    schema: db.schema,
    entities: db.compatMode ? [] : ENTITIES,
    migrations: db.compatMode ? [] : MIGRATIONS,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    // Failed queries are not logged here: conflicts are expected answers, and anything unexpected
    // reaches the problem-details filter, which logs it with its stack.
    logging: ['warn', 'migration'],
    extra,
  };
  return options;
}
