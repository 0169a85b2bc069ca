import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { DatabaseConfig } from '../config/app-config';
import { compatSchemaSql } from './compat-schema';
import { buildDataSourceOptions, MIGRATIONS_TABLE } from './data-source-options';
import { jsonColumnType } from './json-column';
import { createSchemaSql } from './schema-sql';

/**
 * TypeORM has no "migrations to SQL file": each migration's up() runs against a query runner
 * that records the SQL instead of executing it, and every statement is then rewritten to be
 * idempotent. On top of that, each migration's block runs only when the migrations table does not
 * record it yet, so applying the file twice changes nothing the second time.
 */
export async function recordMigrationSql(
  migration: MigrationInterface,
  options: object,
): Promise<string[]> {
  const statements: string[] = [];
  const recorder = {
    connection: { options },
    query: async (sql: string, params?: unknown[]) => {
      if (params && params.length > 0) throw new Error(`offline SQL cannot carry bound parameters: ${sql}`);
      statements.push(sql.trim().replace(/;$/, ''));
      return [];
    },
  } as unknown as QueryRunner;
  await migration.up(recorder);
  return statements;
}

const q = (s: string): string => s.replace(/'/g, "''");

/** Rewrites one DDL statement so that running it again changes nothing; refuses what it cannot. */
export function makeIdempotent(sql: string, schema: string): string {
  const s = sql.trim();
  let m: RegExpExecArray | null;
  if (/^CREATE TABLE IF NOT EXISTS /i.test(s) || /^CREATE (UNIQUE )?INDEX IF NOT EXISTS /i.test(s)) return s;
  if (/^CREATE TABLE /i.test(s)) return s.replace(/^CREATE TABLE /i, 'CREATE TABLE IF NOT EXISTS ');
  if ((m = /^CREATE (UNIQUE )?INDEX (?!CONCURRENTLY)/i.exec(s))) {
    return s.replace(/^CREATE (UNIQUE )?INDEX /i, `CREATE ${m[1] ?? ''}INDEX IF NOT EXISTS `);
  }
  if ((m = /^ALTER TABLE (\S+) ADD CONSTRAINT "([^"]+)"/i.exec(s))) {
    return `DO $idem$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
                 WHERE c.conname = '${q(m[2])}' AND n.nspname = '${q(schema)}') THEN
    ${s};
  END IF;
END $idem$`;
  }
  if (/^ALTER TABLE \S+ ADD (COLUMN )?(?!CONSTRAINT)(?!IF NOT EXISTS)/i.test(s)) {
    return s.replace(/^(ALTER TABLE \S+ ADD )(COLUMN )?/i, '$1COLUMN IF NOT EXISTS ');
  }
  if (/^ALTER TABLE \S+ DROP CONSTRAINT (?!IF EXISTS)/i.test(s)) return s.replace(/DROP CONSTRAINT /i, 'DROP CONSTRAINT IF EXISTS ');
  if (/^ALTER TABLE \S+ DROP COLUMN (?!IF EXISTS)/i.test(s)) return s.replace(/DROP COLUMN /i, 'DROP COLUMN IF EXISTS ');
  if (/^ALTER TABLE \S+ ALTER COLUMN /i.test(s)) return s; // SET/DROP DEFAULT, NOT NULL, TYPE: idempotent as they are
  if ((m = /^ALTER TABLE (\S+) RENAME COLUMN "([^"]+)" TO "([^"]+)"$/i.exec(s))) {
    const table = m[1].split('.').pop()!.replace(/"/g, '');
    return `DO $idem$ BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.columns
             WHERE table_schema = '${q(schema)}' AND table_name = '${q(table)}' AND column_name = '${q(m[2])}') THEN
    ${s};
  END IF;
END $idem$`;
  }
  if (/^DROP (TABLE|INDEX) (?!IF EXISTS)/i.test(s)) return s.replace(/^DROP (TABLE|INDEX) /i, 'DROP $1 IF EXISTS ');
  if (/^DROP (TABLE|INDEX) IF EXISTS /i.test(s) || /^COMMENT ON /i.test(s) || /^DO \$/i.test(s)) return s;
  // A data migration must say that it is safe to run twice.
  if (/^\/\* idempotent \*\//.test(s)) return s;
  throw new Error(`cannot make this statement idempotent; rewrite it or mark it /* idempotent */: ${s.slice(0, 200)}`);
}

/** TypeORM's own migrations table, created the way TypeORM creates it. */
function migrationsTableSql(schema: string): string {
  return `CREATE TABLE IF NOT EXISTS "${schema}"."${MIGRATIONS_TABLE}" ("id" SERIAL NOT NULL, "timestamp" bigint NOT NULL, "name" character varying NOT NULL, CONSTRAINT "PK_8c82d7f526340ab734260ea46be" PRIMARY KEY ("id"))`;
}

function timestampOf(name: string): number {
  const m = /(\d{13})$/.exec(name);
  if (!m) throw new Error(`migration ${name} has no 13-digit timestamp at the end of its name`);
  return Number(m[1]);
}

/**
 * What the app's role needs and no more: DML on the schema's tables, now and for tables a later
 * migration adds (default privileges of the role that applies the script). No DDL right.
 */
export function grantsSql(schema: string, role: string): string[] {
  const s = `"${schema}"`;
  const r = `"${role}"`;
  return [
    `GRANT USAGE ON SCHEMA ${s} TO ${r}`,
    `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${s} TO ${r}`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO ${r}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${r}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${s} GRANT USAGE, SELECT ON SEQUENCES TO ${r}`,
  ].map((x) => `${x};`);
}

type OfflineTarget = Pick<DatabaseConfig, 'schema' | 'useJsonb'> & { appRole?: string };

/** The full schema as one idempotent SQL script, for the DBA. */
export async function fullSchemaSql(migrations: (new () => MigrationInterface)[], db: OfflineTarget): Promise<string> {
  const options = buildDataSourceOptions({
    url: 'postgres://offline/offline',
    schema: db.schema,
    useJsonb: db.useJsonb,
    applyMigrations: false,
    compatMode: false,
    pool: { size: 1, maxOverflow: 0, recycleSeconds: 0, idleTimeoutMs: 1000, prePing: false },
    connectTimeoutMs: 1000,
    statementTimeoutMs: 0,
    pgbouncer: false,
  });
  const out: string[] = [
    header('full schema', db.schema, db.useJsonb),
    'BEGIN;',
    `${createSchemaSql(db.schema)};`,
    `${migrationsTableSql(db.schema)};`,
  ];
  for (const Migration of migrations) {
    const migration = new Migration();
    const name = migration.name ?? Migration.name;
    const statements = (await recordMigrationSql(migration, options)).map((s) => makeIdempotent(s, db.schema));
    out.push(
      `-- migration ${name}`,
      `DO $migration$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM "${db.schema}"."${MIGRATIONS_TABLE}" WHERE "name" = '${q(name)}') THEN
${statements.map((s) => `    EXECUTE $stmt$${s}$stmt$;`).join('\n')}
    INSERT INTO "${db.schema}"."${MIGRATIONS_TABLE}" ("timestamp", "name") VALUES (${timestampOf(name)}, '${q(name)}');
  END IF;
END $migration$;`,
    );
  }
  if (db.appRole) out.push(...grantsSql(db.schema, db.appRole));
  out.push('COMMIT;', '');
  return out.join('\n\n');
}

/** The two compat tables as one idempotent SQL script. */
export function compatSql(db: OfflineTarget): string {
  return [
    header('compat mode (events, results)', db.schema, db.useJsonb),
    'BEGIN;',
    `${createSchemaSql(db.schema)};`,
    ...compatSchemaSql(db.schema, jsonColumnType(db.useJsonb)).map((s) => `${s};`),
    ...(db.appRole ? grantsSql(db.schema, db.appRole) : []),
    'COMMIT;',
    '',
  ].join('\n\n');
}

function header(what: string, schema: string, useJsonb: boolean): string {
  return [
    `-- GEO Visibility Engine: ${what}`,
    `-- schema: ${schema}; JSON columns: ${jsonColumnType(useJsonb)}`,
    '-- Generated by scripts/migrations-offline.sh. Idempotent: applying it again changes nothing.',
    '-- Apply as the schema owner (see docs/DB_HANDOFF.md), e.g. psql -v ON_ERROR_STOP=1 -f <file>.',
  ].join('\n');
}
