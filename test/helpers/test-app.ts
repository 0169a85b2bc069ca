import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import supertest from 'supertest';
import { API_STREAMED_BODY_ROUTES, ApiModule } from '../../src/api.module';
import { compatSql } from '../../src/core/database/offline-sql';
import { configureApp } from '../../src/core/http/configure-app';
import { adminQuery, dropRedisPrefix, dropSchema, uniqueSchema } from './schema';

export type DbMode = 'full' | 'compat';

export interface TestAppOptions {
  mode?: DbMode;
  useJsonb?: boolean;
  /** Extra environment for this app (e.g. DATABASE_URL of another role). */
  env?: Record<string, string>;
  /** Use this schema (already prepared) instead of a fresh one; it is not dropped on close. */
  schema?: string;
  /** A second app on another app's schema and Redis prefix: close() leaves the prefix's keys to the first. */
  keepRedisPrefix?: boolean;
}

export interface TestApp {
  app: NestExpressApplication;
  http: ReturnType<typeof supertest>;
  schema: string;
  key: string;
  auth: { 'X-API-Key': string };
  close(): Promise<void>;
}

export const TEST_API_KEY = 'test-key-0123456789';

/**
 * The real API (ApiModule, the same configureApp as main.ts) on the real Postgres and Redis, in a
 * schema of the test file's own: migrated (full) or holding the compat tables (compat), as a DBA
 * would leave it.
 */
export async function createTestApp(file: string, opts: TestAppOptions = {}): Promise<TestApp> {
  const mode = opts.mode ?? 'full';
  const useJsonb = opts.useJsonb ?? true;
  const schema = opts.schema ?? uniqueSchema(file);
  const env: Record<string, string> = {
    DB_SCHEMA: schema,
    DB_COMPAT_MODE: String(mode === 'compat'),
    USE_JSONB: String(useJsonb),
    DB_APPLY_MIGRATIONS: String(mode === 'full' && !opts.schema),
    QUEUE_PREFIX: `test-${schema}`,
    DB_POOL_SIZE: '2',
    DB_POOL_MAX_OVERFLOW: '8',
    ...opts.env,
  };
  const previous = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  if (mode === 'compat' && !opts.schema) await adminQuery(compatSql({ schema, useJsonb }));

  const moduleRef = await Test.createTestingModule({ imports: [ApiModule] }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, logger: false });
  configureApp(app, API_STREAMED_BODY_ROUTES);
  await app.init();
  return {
    app,
    http: supertest(app.getHttpServer()),
    schema,
    key: TEST_API_KEY,
    auth: { 'X-API-Key': TEST_API_KEY },
    close: async () => {
      await app.close();
      for (const [k, v] of Object.entries(previous)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      if (!opts.schema) await dropSchema(schema);
      if (!opts.keepRedisPrefix) await dropRedisPrefix(env.QUEUE_PREFIX);
    },
  };
}
