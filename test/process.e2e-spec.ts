import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { dropRedisPrefix, dropSchema, databaseUrl, uniqueSchema } from './helpers/schema';
import { spawnEntrypoint } from './helpers/spawn-entrypoint';
import { freePort } from './helpers/free-port';

/** The two entrypoints as real processes: configuration errors, start, and SIGTERM. */
describe('entrypoints as processes', () => {
  const schema = uniqueSchema(__filename);
  const prefix = `test-${schema}`;
  const base = (): Record<string, string> => ({
    DATABASE_URL: databaseUrl(),
    DB_SCHEMA: schema,
    DB_APPLY_MIGRATIONS: 'true',
    QUEUE_PREFIX: prefix,
    API_KEYS: 'process-test-key-123',
    SHUTDOWN_TIMEOUT_MS: '10000',
  });

  afterAll(async () => {
    await dropSchema(schema);
    await dropRedisPrefix(prefix);
  });

  it.each([
    ['PORT', { PORT: 'abc' }, /PORT must be an integer/],
    ['DB_SCHEMA', { DB_SCHEMA: 'Bad-Name' }, /DB_SCHEMA must be a lower-case SQL identifier/],
    ['API_KEYS', { API_KEYS: undefined }, /API_KEYS/],
    ['REDIS_URL', { REDIS_URL: 'http://nope' }, /REDIS_URL must be a redis/],
    ['USE_JSONB', { USE_JSONB: 'maybe' }, /USE_JSONB/],
  ])('stops at start with a message naming %s when it is invalid', async (_name, env, message) => {
    const p = spawnEntrypoint('main', { ...base(), ...env });
    const { code } = await p.exited;
    expect(code).toBe(78);
    expect(p.output()).toMatch(message);
    expect(p.output()).toMatch(/Invalid configuration/);
  });

  it('the API serves, then on SIGTERM finishes the request in flight and exits 0', async () => {
    const port = await freePort();
    const p = spawnEntrypoint('main', { ...base(), PORT: String(port), HOST: '127.0.0.1' });
    try {
      await p.waitFor(/API listening/);
      // A request whose body is still arriving when SIGTERM comes.
      const body = JSON.stringify({ name: `sigterm ${randomBytes(4).toString('hex')}` });
      const answer = new Promise<number>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, method: 'POST', path: '/api/v1/campaigns', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'X-API-Key': 'process-test-key-123' } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.write(body.slice(0, 5));
        setTimeout(() => {
          p.child.kill('SIGTERM');
          setTimeout(() => req.end(body.slice(5)), 300);
        }, 200);
      });
      expect(await answer).toBe(201);
      const { code } = await p.exited;
      expect(code).toBe(0);
      expect(p.output()).toMatch(/api: SIGTERM received/);
      expect(p.output()).toMatch(/api: shutdown complete/);
    } finally {
      p.child.kill('SIGKILL');
    }
  });

  it('ends open progress streams on SIGTERM instead of waiting for them, and exits 0 at once', async () => {
    const port = await freePort();
    const p = spawnEntrypoint('main', { ...base(), PORT: String(port), HOST: '127.0.0.1', OPENAI_API_KEY: 'sk-never-called' });
    const key = { 'X-API-Key': 'process-test-key-123', 'Content-Type': 'application/json' };
    try {
      await p.waitFor(/API listening/);
      const api = `http://127.0.0.1:${port}/api/v1`;
      const campaign = (await (await fetch(`${api}/campaigns`, { method: 'POST', headers: key, body: JSON.stringify({ name: `sse ${randomBytes(4).toString('hex')}` }) })).json()) as { id: string };
      const run = (await (await fetch(`${api}/runs`, { method: 'POST', headers: key, body: JSON.stringify({ campaign_id: campaign.id, providers: [{ provider: 'openai', model: 'gpt-5-mini' }] }) })).json()) as { id?: string };
      expect(run.id).toBeDefined();
      // A run that never starts: its stream would stay open for ever.
      const ended = new Promise<string>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: `/api/v1/runs/${run.id}/events`, headers: key }, (res) => {
          let data = '';
          res.on('data', (c: Buffer) => {
            data += c.toString();
            if (data.includes('event: progress')) p.child.kill('SIGTERM');
          });
          res.on('end', () => resolve(data));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      });
      const started = Date.now();
      expect(await ended).toContain('event: progress');
      const { code } = await p.exited;
      expect(code).toBe(0);
      // Well inside SHUTDOWN_TIMEOUT_MS (10 s).
      expect(Date.now() - started).toBeLessThan(8000);
      expect(p.output()).toMatch(/api: shutdown complete/);
    } finally {
      p.child.kill('SIGKILL');
    }
  });

  it('the worker starts (no HTTP server), and exits 0 on SIGTERM', async () => {
    const p = spawnEntrypoint('worker', base());
    try {
      await p.waitFor(/worker started/);
      expect(p.output()).not.toMatch(/listening/i);
      p.child.kill('SIGTERM');
      const { code } = await p.exited;
      expect(code).toBe(0);
      expect(p.output()).toMatch(/worker: shutdown complete/);
    } finally {
      p.child.kill('SIGKILL');
    }
  });

  it('logs JSON lines with the request id and no API key', async () => {
    const port = await freePort();
    const p = spawnEntrypoint('main', { ...base(), PORT: String(port), HOST: '127.0.0.1' });
    try {
      await p.waitFor(/API listening/);
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/campaigns`, { headers: { 'X-API-Key': 'process-test-key-123', 'X-Request-Id': 'log-check-42' } });
      expect(res.status).toBe(200);
      await fetch(`http://127.0.0.1:${port}/api/v1/campaigns`, { headers: { Authorization: 'Bearer process-test-key-123' } });
      await p.waitFor(/"request_id":"log-check-42"/);
      const lines = p.output().split('\n').filter((l) => l.startsWith('{'));
      expect(lines.length).toBeGreaterThan(2);
      for (const l of lines) expect(() => JSON.parse(l) as unknown).not.toThrow();
      expect(p.output()).not.toContain('process-test-key-123');
    } finally {
      p.child.kill('SIGTERM');
      await p.exited;
    }
  });
});
