import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { campaignBody, personaBody } from './factories/catalogue';
import { catalogSnapshot } from './helpers/catalog-snapshot';
import { adminQuery, databaseUrl } from './helpers/schema';
import { createTestApp } from './helpers/test-app';

/**
 * The DBA handoff as production does it: the offline SQL is applied (twice) to an empty database
 * by a role that is not a superuser and has no CREATE right on the database, then the app boots as
 * a DML-only role with DB_APPLY_MIGRATIONS=false, in full and in compat mode.
 */
describe('DBA handoff: offline SQL, restricted roles', () => {
  const suffix = randomBytes(4).toString('hex');
  const dbName = `geo_handoff_${suffix}_test`;
  const dba = `geo_dba_${suffix}`;
  const app = `geo_rw_${suffix}`;
  const password = `pw_${suffix}`;
  const urlAs = (role: string): string => {
    const u = new URL(databaseUrl());
    u.username = role;
    u.password = password;
    u.pathname = `/${dbName}`;
    return u.toString();
  };
  const adminUrl = (): string => {
    const u = new URL(databaseUrl());
    u.pathname = `/${dbName}`;
    return u.toString();
  };
  const out = mkdtempSync(join(tmpdir(), 'geo-offline-'));

  function offlineSql(schema: string): { full: string; compat: string } {
    const dir = join(out, schema);
    const res = spawnSync('bash', ['scripts/migrations-offline.sh', dir], {
      env: { ...process.env, DB_SCHEMA: schema, USE_JSONB: 'true', DB_APP_ROLE: app },
      encoding: 'utf8',
    });
    if (res.status !== 0) throw new Error(`migrations-offline.sh failed: ${res.stderr}`);
    return { full: readFileSync(join(dir, 'migrations.sql'), 'utf8'), compat: readFileSync(join(dir, 'compat.sql'), 'utf8') };
  }

  beforeAll(async () => {
    await adminQuery(`CREATE ROLE "${dba}" LOGIN PASSWORD '${password}' NOSUPERUSER NOCREATEDB NOCREATEROLE`);
    await adminQuery(`CREATE ROLE "${app}" LOGIN PASSWORD '${password}' NOSUPERUSER NOCREATEDB NOCREATEROLE`);
    await adminQuery(`CREATE DATABASE "${dbName}"`);
    // What a managed Postgres gives a DBA: a schema to own, no CREATE on the database.
    for (const sql of [
      `REVOKE ALL ON DATABASE "${dbName}" FROM PUBLIC`,
      `GRANT CONNECT ON DATABASE "${dbName}" TO "${dba}", "${app}"`,
      `REVOKE CREATE ON SCHEMA public FROM PUBLIC`,
      `CREATE SCHEMA geo_app AUTHORIZATION "${dba}"`,
      `CREATE SCHEMA geo_compat AUTHORIZATION "${dba}"`,
    ]) {
      await adminQuery(sql, [], adminUrl());
    }
  });

  afterAll(async () => {
    await adminQuery(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await adminQuery(`DROP ROLE IF EXISTS "${dba}"`);
    await adminQuery(`DROP ROLE IF EXISTS "${app}"`);
  });

  it('the roles are what production has: no superuser, no CREATE on the database', async () => {
    const rows = await adminQuery<{ rolname: string; rolsuper: boolean; can_create: boolean }>(
      `SELECT rolname, rolsuper, has_database_privilege(rolname, $1, 'CREATE') AS can_create FROM pg_roles WHERE rolname = ANY($2)`,
      [dbName, [dba, app]],
      adminUrl(),
    );
    expect(rows).toHaveLength(2);
    for (const r of rows) expect(r).toMatchObject({ rolsuper: false, can_create: false });
  });

  it('applies migrations.sql twice as the DBA role; the second time changes nothing', async () => {
    const { full } = offlineSql('geo_app');
    expect(full).toMatch(/CREATE TABLE IF NOT EXISTS "geo_app"\."campaigns"/);
    await adminQuery(full, [], urlAs(dba));
    const once = await catalogSnapshot('geo_app', adminUrl());
    expect(once.filter((l) => l.startsWith('table ') && l.endsWith(' r'))).toHaveLength(12); // 11 tables + migrations
    await adminQuery(full, [], urlAs(dba));
    expect(await catalogSnapshot('geo_app', adminUrl())).toEqual(once);
  });

  it('applies compat.sql twice as the DBA role: two tables, and the second time changes nothing', async () => {
    const { compat } = offlineSql('geo_compat');
    await adminQuery(compat, [], urlAs(dba));
    const once = await catalogSnapshot('geo_compat', adminUrl());
    expect(once.filter((l) => l.startsWith('table ') && l.endsWith(' r'))).toEqual(['table events r', 'table results r']);
    await adminQuery(compat, [], urlAs(dba));
    expect(await catalogSnapshot('geo_compat', adminUrl())).toEqual(once);
  });

  it('the app role may read and write but not create tables', async () => {
    await expect(adminQuery('CREATE TABLE geo_app.intruder (id int)', [], urlAs(app))).rejects.toThrow(/permission denied/);
    await expect(adminQuery('CREATE TABLE geo_compat.intruder (id int)', [], urlAs(app))).rejects.toThrow(/permission denied/);
    await expect(adminQuery('SELECT count(*) FROM geo_app.campaigns', [], urlAs(app))).resolves.toEqual([{ count: '0' }]);
  });

  it.each(['full', 'compat'] as const)('boots in %s mode as the app role with DB_APPLY_MIGRATIONS=false, ready, and serves the catalogue', async (mode) => {
    const t = await createTestApp(__filename, {
      mode,
      schema: mode === 'full' ? 'geo_app' : 'geo_compat',
      env: { DATABASE_URL: urlAs(app), DB_APPLY_MIGRATIONS: 'false' },
    });
    try {
      const ready = await t.http.get('/readyz').expect(200);
      expect(ready.body.checks).toMatchObject(mode === 'full' ? { db: 'up', redis: 'up', migrations: 'up' } : { db: 'up', redis: 'up', compat_tables: 'up' });
      const campaign = (await t.http.post('/api/v1/campaigns').set(t.auth).send(campaignBody()).expect(201)).body;
      const topic = (await t.http.post(`/api/v1/campaigns/${campaign.id}/topics`).set(t.auth).send({ title: 'CRM' }).expect(201)).body;
      const persona = (await t.http.post('/api/v1/personas').set(t.auth).send(personaBody()).expect(201)).body;
      await t.http.post(`/api/v1/campaigns/${campaign.id}/questions`).set(t.auth).send({ text: 'Which CRM?', topic_id: topic.id, persona_id: persona.id }).expect(201);
      const list = await t.http.get(`/api/v1/campaigns/${campaign.id}/questions?persona_id=${persona.id}`).set(t.auth).expect(200);
      expect(list.body.total).toBe(1);
      await t.http.patch(`/api/v1/campaigns/${campaign.id}`).set(t.auth).send({ brand_aliases: ['A'] }).expect(200);
      await t.http.delete(`/api/v1/campaigns/${campaign.id}`).set(t.auth).expect(204);
    } finally {
      await t.close();
    }
  });

  it('boots as the app role with DB_APPLY_MIGRATIONS=true when nothing is pending (no DDL is attempted)', async () => {
    const t = await createTestApp(__filename, { mode: 'full', schema: 'geo_app', env: { DATABASE_URL: urlAs(app), DB_APPLY_MIGRATIONS: 'true' } });
    try {
      await t.http.get('/readyz').expect(200);
    } finally {
      await t.close();
    }
  });

  it('is not ready, and says why, where the DBA has not applied the SQL', async () => {
    await adminQuery(`CREATE SCHEMA geo_empty AUTHORIZATION "${dba}"`, [], adminUrl());
    await adminQuery(`GRANT USAGE ON SCHEMA geo_empty TO "${app}"`, [], adminUrl());
    for (const mode of ['full', 'compat'] as const) {
      const t = await createTestApp(__filename, { mode, schema: 'geo_empty', env: { DATABASE_URL: urlAs(app), DB_APPLY_MIGRATIONS: 'false' } });
      try {
        await t.http.get('/healthz').expect(200);
        const res = await t.http.get('/readyz').expect(503);
        const check = mode === 'full' ? 'migrations' : 'compat_tables';
        expect(res.body).toMatchObject({ status: 'error', checks: { db: 'up', redis: 'up', [check]: 'down' } });
        expect(res.body.errors[check]).toMatch(mode === 'full' ? /pending migrations: InitialSchema/ : /missing compat tables: events, results/);
      } finally {
        await t.close();
      }
    }
  });
});
