import { loadAppConfig, loadDatabaseConfig, maskUrl } from './app-config';
import { ConfigError } from './env.validation';

const base = { DATABASE_URL: 'postgres://u:p@db:5432/geo', API_KEYS: 'key-one-12345, key-two-67890' };

describe('loadAppConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadAppConfig(base);
    expect(c.http).toMatchObject({ port: 3000, uploadMaxBytes: 10 * 1024 * 1024, rateLimitPerMinute: 600 });
    expect(c.db).toMatchObject({ schema: 'geo_app', applyMigrations: false, compatMode: false, useJsonb: true, pgbouncer: false });
    expect(c.db.pool).toEqual({ size: 10, maxOverflow: 20, recycleSeconds: 1800, idleTimeoutMs: 30000, prePing: true });
    expect(c.apiKeys).toEqual(['key-one-12345', 'key-two-67890']);
    expect(c.providers.openai.baseUrl).toBe('https://api.openai.com/v1');
    expect(c.providers.gemini.baseUrl).toBe('https://generativelanguage.googleapis.com');
    expect(c.redis.url).toBe('redis://127.0.0.1:6379');
    expect(c.logLevel).toBe('info');
  });

  it('reads booleans and integers as people write them', () => {
    const c = loadAppConfig({ ...base, USE_JSONB: 'false', DB_COMPAT_MODE: 'YES', DB_APPLY_MIGRATIONS: '1', PORT: ' 8080 ', OPENAI_QPS: '50', PERPLEXITY_BASE_URL: 'http://emulator:4010/v1/' });
    expect(c.db).toMatchObject({ useJsonb: false, compatMode: true, applyMigrations: true });
    expect(c.http.port).toBe(8080);
    expect(c.providers.openai.qps).toBe(50);
    expect(c.providers.perplexity.baseUrl).toBe('http://emulator:4010/v1');
  });

  it('treats an empty value as unset and falls back to LOCAL_DATABASE_URL', () => {
    const c = loadAppConfig({ API_KEYS: base.API_KEYS, DATABASE_URL: '', LOCAL_DATABASE_URL: 'postgres://localhost/geo', DB_SCHEMA: '' });
    expect(c.db.url).toBe('postgres://localhost/geo');
    expect(c.db.schema).toBe('geo_app');
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: '1.5' }, 'PORT'],
    [{ DB_SCHEMA: 'geo-app' }, 'DB_SCHEMA'],
    [{ DB_SCHEMA: 'x; drop table y' }, 'DB_SCHEMA'],
    [{ USE_JSONB: 'maybe' }, 'USE_JSONB'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ DATABASE_URL: undefined }, 'DATABASE_URL'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    [{ API_KEYS: '' }, 'API_KEYS'],
    [{ API_KEYS: ' , ' }, 'API_KEYS'],
    [{ API_KEYS: 'short' }, 'API_KEYS'],
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
    [{ OPENAI_BASE_URL: 'not a url' }, 'OPENAI_BASE_URL'],
    [{ GEMINI_QPS: '0' }, 'GEMINI_QPS'],
    [{ UPLOAD_MAX_BYTES: '-1' }, 'UPLOAD_MAX_BYTES'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
  ])('refuses %j naming %s', (env, name) => {
    let error: unknown;
    try {
      loadAppConfig({ ...base, ...env });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(name);
  });

  it('reads Redis Sentinel and Cluster, hash-tags the prefix in a cluster, and refuses both at once', () => {
    expect(loadAppConfig(base).redis).toMatchObject({ queuePrefix: 'geo', sentinel: null, cluster: null });
    expect(loadAppConfig({ ...base, REDIS_SENTINELS: 's1:26379, s2:26379', REDIS_SENTINEL_NAME: 'geo-redis' }).redis).toMatchObject({
      queuePrefix: 'geo',
      sentinel: { hosts: ['s1:26379', 's2:26379'], name: 'geo-redis' },
    });
    expect(loadAppConfig({ ...base, REDIS_CLUSTER_NODES: 'n1:6379,n2:6379', QUEUE_PREFIX: 'acme' }).redis).toMatchObject({
      queuePrefix: '{acme}',
      cluster: { nodes: ['n1:6379', 'n2:6379'] },
    });
    expect(() => loadAppConfig({ ...base, REDIS_SENTINELS: 's1:26379', REDIS_CLUSTER_NODES: 'n1:6379' })).toThrow(/not both/);
    expect(() => loadAppConfig({ ...base, REDIS_SENTINELS: 's1' })).toThrow(/REDIS_SENTINELS must be comma-separated host:port/);
    expect(() => loadAppConfig({ ...base, REDIS_CLUSTER_NODES: 'n1:6379,,n2' })).toThrow(/REDIS_CLUSTER_NODES must be/);
  });

  it('lists every bad variable at once', () => {
    expect(() => loadAppConfig({ ...base, PORT: 'x', USE_JSONB: 'y' })).toThrow(/PORT[\s\S]*USE_JSONB|USE_JSONB[\s\S]*PORT/);
  });
});

describe('loadDatabaseConfig', () => {
  it('needs only the database variables (the TypeORM CLI has no API keys)', () => {
    expect(loadDatabaseConfig({ DATABASE_URL: 'postgres://x/y', USE_JSONB: 'false' })).toMatchObject({ useJsonb: false, schema: 'geo_app' });
  });
});

describe('maskUrl', () => {
  it('hides the password', () => {
    expect(maskUrl('postgres://user:s3cret@db:5432/geo')).toBe('postgres://user:***@db:5432/geo');
    expect(maskUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(maskUrl('::not a url')).toBe('***');
  });
});
