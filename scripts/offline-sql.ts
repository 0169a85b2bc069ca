/**
 * Writes artefacts/migrations.sql (full schema) and artefacts/compat.sql (compat tables) for the
 * configured DB_SCHEMA and USE_JSONB, without touching a database.
 *   ts-node scripts/offline-sql.ts [out dir]
 */
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS } from '../migrations';
import { validateEnv, DatabaseEnv } from '../src/core/config/env.validation';
import { compatSql, fullSchemaSql } from '../src/core/database/offline-sql';

async function main(): Promise<void> {
  const env = validateEnv(DatabaseEnv, process.env);
  const db = { schema: env.DB_SCHEMA, useJsonb: env.USE_JSONB, appRole: env.DB_APP_ROLE };
  const dir = process.argv[2] ?? 'artefacts';
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'migrations.sql'), await fullSchemaSql(MIGRATIONS, db));
  writeFileSync(join(dir, 'compat.sql'), compatSql(db));
  console.error(`wrote ${join(dir, 'migrations.sql')} and ${join(dir, 'compat.sql')} (schema ${db.schema}, ${db.useJsonb ? 'jsonb' : 'text'} JSON${db.appRole ? `, grants to ${db.appRole}` : ''})`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
