import type { PostgresConnectionOptions } from 'typeorm/driver/postgres/PostgresConnectionOptions';
import { loadDatabaseConfig } from '../config/app-config';
import { buildDataSourceOptions } from './data-source-options';

const build = (env: Record<string, string>) =>
  buildDataSourceOptions(loadDatabaseConfig({ DATABASE_URL: 'postgres://u@db/geo', ...env })) as PostgresConnectionOptions & {
    extra: Record<string, unknown>;
  };

describe('buildDataSourceOptions', () => {
  it('qualifies every table with the schema and never synchronizes', () => {
    const o = build({ DB_SCHEMA: 'custom_schema' });
    expect(o).toMatchObject({ schema: 'custom_schema', synchronize: false, migrationsRun: false });
    expect((o.entities as unknown[]).length).toBe(11);
  });

  it('sizes the pool as size + overflow, recycles and keeps connections alive', () => {
    const o = build({ DB_POOL_SIZE: '4', DB_POOL_MAX_OVERFLOW: '6', DB_POOL_RECYCLE_SECONDS: '600', DB_POOL_PRE_PING: 'true' });
    expect(o.extra).toMatchObject({ max: 10, min: 2, maxLifetimeSeconds: 600, keepAlive: true });
  });

  it('sends the statement timeout as a startup option, except through pgbouncer', () => {
    expect(build({ DB_STATEMENT_TIMEOUT_MS: '5000' }).extra.options).toBe('-c statement_timeout=5000');
    const bouncer = build({ DB_STATEMENT_TIMEOUT_MS: '5000', DB_PGBOUNCER: 'true' });
    expect(bouncer.extra.options).toBeUndefined();
    expect(bouncer.extra.min).toBe(0);
  });

  it('has no entities and no migrations in compat mode (the app creates no table)', () => {
    const o = build({ DB_COMPAT_MODE: 'true' });
    expect(o.entities).toEqual([]);
    expect(o.migrations).toEqual([]);
  });

  it('switches JSON columns between jsonb and text', () => {
    const { getMetadataArgsStorage } = jest.requireActual<typeof import('typeorm')>('typeorm');
    const jsonColumn = () => getMetadataArgsStorage().columns.find((c) => c.propertyName === 'brandAliases');
    build({ USE_JSONB: 'false' });
    expect(jsonColumn()?.options.type).toBe('text');
    expect(jsonColumn()?.options.transformer).toBeDefined();
    build({ USE_JSONB: 'true' });
    expect(jsonColumn()?.options.type).toBe('jsonb');
    expect(jsonColumn()?.options.transformer).toBeUndefined();
  });
});
