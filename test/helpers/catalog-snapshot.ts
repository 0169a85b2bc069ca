import { adminQuery } from './schema';

/**
 * Everything DDL can change in a schema (columns, indexes, constraints, migration records), as
 * sorted lines with the schema name taken out, so that two schemas or two moments compare.
 */
export async function catalogSnapshot(schema: string, url?: string): Promise<string[]> {
  const rows = await adminQuery<{ line: string }>(
    `SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') AS line
       FROM information_schema.columns WHERE table_schema = $1
     UNION ALL
     SELECT 'index ' || indexname || ' ' || replace(indexdef, quote_ident($1) || '.', '') FROM pg_indexes WHERE schemaname = $1
     UNION ALL
     SELECT 'constraint ' || c.conname || ' ' || replace(pg_get_constraintdef(c.oid), quote_ident($1) || '.', '')
       FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = $1
     UNION ALL
     SELECT 'table ' || c.relname || ' ' || c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1`,
    [schema],
    url,
  );
  const lines = rows.map((r) => r.line.split(`${schema}.`).join('').split(`"${schema}".`).join(''));
  const hasMigrations = lines.some((l) => l.startsWith('table migrations '));
  if (hasMigrations) {
    const m = await adminQuery<{ name: string }>(`SELECT name FROM "${schema}"."migrations" ORDER BY id`, [], url);
    lines.push(...m.map((r) => `migration ${r.name}`));
  }
  return lines.sort();
}
