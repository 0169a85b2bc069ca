/**
 * `CREATE SCHEMA IF NOT EXISTS` fails for a role without CREATE on the database even when the
 * schema exists, so creation is guarded by a look-up in pg_namespace.
 */
export function createSchemaSql(schema: string): string {
  return `DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = '${schema}') THEN
    EXECUTE 'CREATE SCHEMA "${schema}"';
  END IF;
END $$`;
}
