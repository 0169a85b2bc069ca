import type { DataSource } from 'typeorm';

interface PgCursor {
  read(rows: number): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}
type PgCursorClass = new (text: string, values?: unknown[]) => PgCursor;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- pg-cursor ships no types
const Cursor = require('pg-cursor') as PgCursorClass;

interface PgClient {
  query(cursor: PgCursor): PgCursor;
}

/**
 * The rows of a statement, `batch` at a time, through a server-side cursor (pg-cursor) on one
 * pooled connection: memory holds one batch, however many rows the statement has, and the next
 * batch is read only when the consumer asks for it (backpressure for free). The connection goes
 * back to the pool when the iteration ends, completes or throws.
 */
export async function* cursorRows(dataSource: DataSource, sql: string, params: unknown[], batch = 500): AsyncGenerator<Record<string, unknown>> {
  const runner = dataSource.createQueryRunner();
  try {
    const client = (await runner.connect()) as PgClient;
    const cursor = client.query(new Cursor(sql, params));
    try {
      for (;;) {
        const rows = await cursor.read(batch);
        if (rows.length === 0) return;
        yield* rows;
      }
    } finally {
      await cursor.close().catch(() => undefined);
    }
  } finally {
    await runner.release();
  }
}
