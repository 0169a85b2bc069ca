import { Column, ColumnOptions, getMetadataArgsStorage } from 'typeorm';

export type JsonColumnType = 'jsonb' | 'text';

export const jsonColumnType = (useJsonb: boolean): JsonColumnType => (useJsonb ? 'jsonb' : 'text');

/** Columns declared with @JsonColumn, so that the type can be switched once the config is known. */
const jsonColumns = new Set<{ target: object; propertyName: string }>();

/**
 * A JSON column: `jsonb` when USE_JSONB=true, else `text` with the app serializing.
 * Decorators run before the configuration is read, so the column is declared as jsonb and
 * `applyJsonColumnMode` switches every such column when the DataSource options are built.
 */
export function JsonColumn(options: Omit<ColumnOptions, 'type' | 'transformer'> = {}): PropertyDecorator {
  return (target, propertyKey) => {
    Column({ ...options, type: 'jsonb' })(target, propertyKey);
    jsonColumns.add({ target: target.constructor, propertyName: String(propertyKey) });
  };
}

const textJson = {
  to: (value: unknown): string | null | undefined => (value === undefined || value === null ? (value) : JSON.stringify(value)),
  from: (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value),
};

let appliedType: JsonColumnType | undefined;

/** The JSON type the entities were last switched to (migrations follow the same switch). */
export function appliedJsonColumnType(): JsonColumnType {
  if (!appliedType) throw new Error('applyJsonColumnMode has not run: build the DataSource options with buildDataSourceOptions');
  return appliedType;
}

export function applyJsonColumnMode(useJsonb: boolean): void {
  const type = jsonColumnType(useJsonb);
  appliedType = type;
  for (const col of getMetadataArgsStorage().columns) {
    const declared = [...jsonColumns].some((c) => c.target === col.target && c.propertyName === col.propertyName);
    if (!declared) continue;
    col.options.type = type;
    col.options.transformer = useJsonb ? undefined : textJson;
  }
}

/** For raw SQL: the parameter to bind for a JSON column (TypeORM serializes only for entity writes). */
export function jsonParam(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

/** For raw SQL reads: jsonb arrives parsed, text arrives as a string. */
export function parseJson<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}
