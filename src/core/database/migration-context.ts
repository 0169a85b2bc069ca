import type { QueryRunner } from 'typeorm';
import { appliedJsonColumnType, type JsonColumnType } from './json-column';

export interface MigrationContext {
  /** The quoted schema, e.g. `"geo_app"`, to prefix every table name. */
  s: string;
  /** The JSON column type: jsonb or text, by USE_JSONB. */
  json: JsonColumnType;
}

/**
 * Migrations are written against the configured schema and JSON type, never literal ones: a
 * migration generated with jsonb and run with USE_JSONB=false would otherwise diff into a
 * destructive DROP/ADD, and one with a literal schema would ignore DB_SCHEMA.
 */
export function migrationContext(queryRunner: QueryRunner): MigrationContext {
  const options = queryRunner.connection.options as { schema?: string };
  const schema = options.schema;
  if (!schema) throw new Error('The DataSource has no schema');
  return { s: `"${schema}"`, json: appliedJsonColumnType() };
}
