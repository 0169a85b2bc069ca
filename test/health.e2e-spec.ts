import { DataSource } from 'typeorm';
import { TcpProxy } from './helpers/tcp-proxy';
import { databaseUrl } from './helpers/schema';
import { createTestApp, TestApp } from './helpers/test-app';

async function eventually(fn: () => Promise<boolean>, ms = 15000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The probes, with Postgres and Redis reached through proxies that the test cuts. */
describe('probes /healthz and /readyz', () => {
  let t: TestApp;
  let pg: TcpProxy;
  let redis: TcpProxy;
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

  beforeAll(async () => {
    pg = await TcpProxy.forUrl(databaseUrl(), 5432).start();
    redis = await TcpProxy.forUrl(redisUrl, 6379).start();
    t = await createTestApp(__filename, {
      env: { DATABASE_URL: pg.urlFor(databaseUrl()), REDIS_URL: redis.urlFor(redisUrl), DB_CONNECT_TIMEOUT_MS: '1000' },
    });
  });
  afterAll(async () => {
    await pg.start();
    await redis.start();
    await t?.close();
    await pg.stop();
    await redis.stop();
  });

  it('answers 200 with the contract shape when everything is up, without a key', async () => {
    const live = await t.http.get('/healthz').expect(200);
    expect(live.body).toEqual({ status: 'ok', checks: { db: 'up', redis: 'up' } });
    expect(live.headers['cache-control']).toBe('no-store');
    const ready = await t.http.get('/readyz').expect(200);
    expect(ready.body).toEqual({ status: 'ok', checks: { db: 'up', redis: 'up', migrations: 'up', queues: 'up' } });
  });

  it('connects with the configured statement timeout and application name', async () => {
    const [row] = await t.app.get(DataSource).query<{ statement_timeout: string; application_name: string }[]>(
      `SELECT current_setting('statement_timeout') AS statement_timeout, current_setting('application_name') AS application_name`,
    );
    expect(row).toEqual({ statement_timeout: '1min', application_name: 'geo-visibility-engine' });
  });

  it('answers 503 naming the database while Postgres is unreachable, and recovers', async () => {
    await pg.cut();
    const started = Date.now();
    const res = await t.http.get('/healthz').expect(503);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(res.body).toMatchObject({ status: 'error', checks: { db: 'down', redis: 'up' }, errors: { db: expect.any(String) } });
    expect((await t.http.get('/readyz').expect(503)).body.checks.db).toBe('down');
    await pg.start();
    await eventually(async () => (await t.http.get('/healthz')).status === 200);
  });

  it('answers 503 naming Redis while Redis is unreachable, and recovers', async () => {
    await redis.cut();
    const res = await t.http.get('/healthz').expect(503);
    expect(res.body).toMatchObject({ status: 'error', checks: { db: 'up', redis: 'down' } });
    const ready = await t.http.get('/readyz').expect(503);
    expect(ready.body.checks).toMatchObject({ redis: 'down', queues: 'down' });
    await redis.start();
    await eventually(async () => (await t.http.get('/readyz')).status === 200);
  });
});
