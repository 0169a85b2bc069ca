/**
 * `($1, $2, …), ($n+1, …)` placeholders and the flat parameter list for a multi-row INSERT.
 * Postgres accepts at most 65,535 parameters per statement; callers chunk with `chunk()`.
 */
export function valuesClause(rows: unknown[][]): [string, unknown[]] {
  const params: unknown[] = [];
  const groups = rows.map((row) => {
    const start = params.length;
    params.push(...row);
    return `(${row.map((_, i) => `$${start + i + 1}`).join(', ')})`;
  });
  return [groups.join(', '), params];
}

export function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Sorting by the unique key gives every concurrent writer the same lock order: no deadlocks. */
export function sortedBy<T>(items: T[], key: (t: T) => string): T[] {
  return [...items].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

/** Keeps the first item per key. */
export function uniqueBy<T>(items: T[], key: (t: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item);
  return [...seen.values()];
}

/** `"schema"."table"` of an entity, for raw SQL (TypeORM's tablePath is `schema.table`). */
export function quotedTable(metadata: { tablePath: string }): string {
  return metadata.tablePath
    .split('.')
    .map((part) => `"${part}"`)
    .join('.');
}
