import { Client } from 'pg';
import { assertTestDatabase } from './test-database-guard';

/** Before any e2e file: the database must be a test database, and it must answer. */
export default async function globalSetup(): Promise<void> {
  const url = assertTestDatabase(process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL);
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  await client.end();
}
