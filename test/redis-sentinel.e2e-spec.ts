import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { startRedis, stopRedis, type RedisServer } from './helpers/redis-servers';
import { MODELS, RunsHarness, sleep } from './helpers/runs-harness';

/**
 * REDIS_SENTINELS: the API and a worker process reach Redis only through a Sentinel (REDIS_URL
 * names a port where nothing listens), run a real run, survive a failover to the replica (the old
 * primary becomes a read-only replica), and run again on the new primary. The primary, replica and
 * sentinel are this file's own redis-server processes, so the shared Redis is never failed over.
 */
const GROUP = 'geo-test';

describe('Redis through Sentinel, across a failover', () => {
  let dir: string;
  let primary: RedisServer;
  let replica: RedisServer;
  let sentinel: RedisServer;
  let sentinelClient: Redis;
  let h: RunsHarness;
  let campaignId: string;

  const primaryPort = async (): Promise<number> => {
    const addr = (await sentinelClient.call('SENTINEL', 'get-master-addr-by-name', GROUP)) as [string, string] | null;
    return addr ? Number(addr[1]) : NaN;
  };

  async function runToCompletion(): Promise<void> {
    const runId = await h.createRun(campaignId, ['openai', 'gemini']);
    await h.startRun(runId);
    const run = await h.waitForTerminal(runId, 60_000);
    expect(run.status).toBe('completed');
    const counts = await h.itemCounts(runId);
    expect(counts).toMatchObject({ total: 12, succeeded: 12 });
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'geo-sentinel-'));
    primary = await startRedis(dir, 'primary', []);
    replica = await startRedis(dir, 'replica', [], [`replicaof 127.0.0.1 ${primary.port}`]);
    sentinel = await startRedis(
      dir,
      'sentinel',
      ['--sentinel'],
      [`sentinel monitor ${GROUP} 127.0.0.1 ${primary.port} 1`, `sentinel down-after-milliseconds ${GROUP} 2000`, `sentinel failover-timeout ${GROUP} 10000`],
    );
    sentinelClient = new Redis({ port: sentinel.port, host: '127.0.0.1' });
    // The sentinel has found the replica (through the primary's INFO) before a failover is asked of it.
    for (let i = 0; ; i++) {
      const replicas = (await sentinelClient.call('SENTINEL', 'replicas', GROUP)) as unknown[];
      if (replicas.length > 0) break;
      if (i > 150) throw new Error(`the sentinel did not see the replica: ${sentinel.log().slice(-2000)}`);
      await sleep(100);
    }
    const sentinelEnv = {
      // Nothing listens on port 1: every connection has to come from the sentinel's answer.
      REDIS_URL: 'redis://127.0.0.1:1/0',
      REDIS_SENTINELS: `127.0.0.1:${sentinel.port}`,
      REDIS_SENTINEL_NAME: GROUP,
    };
    h = await RunsHarness.start(__filename, { env: sentinelEnv });
    await h.spawnWorker();
    ({ campaignId } = await h.seedQuestions(6, 'sentinel'));
  }, 120_000);

  afterAll(async () => {
    await h?.close();
    sentinelClient?.disconnect();
    await stopRedis(sentinel);
    await stopRedis(replica);
    await stopRedis(primary);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves the probes and a whole run through the primary the sentinel names', async () => {
    expect(await primaryPort()).toBe(primary.port);
    const live = await h.api.http.get('/healthz').expect(200);
    expect(live.body.checks).toEqual({ db: 'up', redis: 'up' });
    await runToCompletion();
    // The jobs went to the primary (and reached the replica), not to the URL's host.
    const direct = new Redis({ port: primary.port, host: '127.0.0.1' });
    try {
      expect((await direct.keys(`${h.prefix}:*`)).length).toBeGreaterThan(0);
    } finally {
      direct.disconnect();
    }
  }, 90_000);

  it('follows a failover: the replica is promoted, the old primary turns read-only, and the API and worker carry on', async () => {
    await sentinelClient.call('SENTINEL', 'failover', GROUP);
    await h.until('the sentinel names the replica as primary', async () => (await primaryPort()) === replica.port, 30_000);
    await h.until(
      'the old primary is a replica',
      async () => {
        const c = new Redis({ port: primary.port, host: '127.0.0.1' });
        try {
          return /role:slave/.test(await c.info('replication'));
        } finally {
          c.disconnect();
        }
      },
      30_000,
    );
    // Writes from the API (an idempotency key, the rate limit) and the worker's queues on the new primary.
    await h.until('the API reaches the new primary', async () => (await h.api.http.get('/healthz')).status === 200, 30_000);
    const body = { campaign_id: campaignId, label: 'after failover', providers: [{ provider: 'perplexity', model: MODELS.perplexity }], samples: 1 };
    const created = await h.api.http.post(`/api/v1/runs`).set(h.api.auth).set('Idempotency-Key', 'after-failover').send(body);
    expect(created.status).toBe(201);
    const replay = await h.api.http.post(`/api/v1/runs`).set(h.api.auth).set('Idempotency-Key', 'after-failover').send(body);
    expect(replay.status).toBe(201);
    expect(replay.body.id).toBe(created.body.id);
    await runToCompletion();
  }, 120_000);
});
