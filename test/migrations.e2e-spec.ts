import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../migrations';
import { loadDatabaseConfig } from '../src/core/config/app-config';
import { buildDataSourceOptions } from '../src/core/database/data-source-options';
import { fullSchemaSql } from '../src/core/database/offline-sql';
import { createSchemaSql } from '../src/core/database/schema-sql';
import { catalogSnapshot } from './helpers/catalog-snapshot';
import { adminQuery, databaseUrl, dropSchema, uniqueSchema } from './helpers/schema';

/** CI fails when the entities and the migrations disagree, in either JSON mode. */
describe.each([true, false])('migrations (USE_JSONB=%s)', (useJsonb) => {
  const schemas: string[] = [];
  afterAll(async () => {
    for (const s of schemas) await dropSchema(s);
  });

  async function migratedDataSource(): Promise<{ ds: DataSource; schema: string }> {
    const schema = uniqueSchema(__filename);
    schemas.push(schema);
    const db = { ...loadDatabaseConfig({ DATABASE_URL: databaseUrl(), DB_SCHEMA: schema, USE_JSONB: String(useJsonb) }), pool: { size: 1, maxOverflow: 1, recycleSeconds: 0, idleTimeoutMs: 1000, prePing: false } };
    const ds = await new DataSource(buildDataSourceOptions(db)).initialize();
    await ds.query(createSchemaSql(schema));
    await ds.runMigrations({ transaction: 'each' });
    return { ds, schema };
  }

  it('leaves nothing for the entities to change once every migration is applied', async () => {
    const { ds } = await migratedDataSource();
    try {
      const pending = await ds.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await ds.destroy();
    }
  });

  it('reverts every migration down to an empty schema and applies them again', async () => {
    const { ds, schema } = await migratedDataSource();
    try {
      const migrated = await catalogSnapshot(schema);
      for (let i = 0; i < MIGRATIONS.length; i++) await ds.undoLastMigration({ transaction: 'each' });
      const empty = await catalogSnapshot(schema);
      // Only TypeORM's own migrations table is left.
      expect(empty.filter((l) => /^(column|table) /.test(l) && !/^(column migrations\.|table migrations)/.test(l) && !/ [iS]$/.test(l))).toEqual([]);
      await ds.runMigrations({ transaction: 'each' });
      expect(await catalogSnapshot(schema)).toEqual(migrated);
    } finally {
      await ds.destroy();
    }
  });

  it('the offline SQL builds exactly the schema that the migrations build, and a second apply changes nothing', async () => {
    const { ds, schema: migratedSchema } = await migratedDataSource();
    await ds.destroy();
    const offlineSchema = uniqueSchema(__filename);
    schemas.push(offlineSchema);
    const sql = await fullSchemaSql(MIGRATIONS, { schema: offlineSchema, useJsonb });
    await adminQuery(sql);
    const once = await catalogSnapshot(offlineSchema);
    expect(once).toEqual(await catalogSnapshot(migratedSchema));
    await adminQuery(sql);
    expect(await catalogSnapshot(offlineSchema)).toEqual(once);
  });
});
