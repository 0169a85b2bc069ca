import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { Client } from 'pg';
import Redis from 'ioredis';
import { assertTestDatabase } from '../setup/test-database-guard';

export const databaseUrl = (): string => assertTestDatabase(process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL);

/** A schema name of its own for a test file (and a random part, so reruns never collide). */
export function uniqueSchema(file: string): string {
  const stem = basename(file).replace(/\..*$/, '').toLowerCase().replace(/[^a-z0-9]+/g, '_').slice(0, 30);
  return `t_${stem}_${randomBytes(4).toString('hex')}`;
}

/** Runs SQL as the test database's admin (the URL the tests were given). */
export async function adminQuery<T = Record<string, unknown>>(sql: string, params: unknown[] = [], url = databaseUrl()): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** Deletes a test's Redis keys (its queue prefix). */
export async function dropRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
