import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { startRedis, stopRedis, type RedisServer } from './helpers/redis-servers';
import { RunsHarness, sleep } from './helpers/runs-harness';

/**
 * REDIS_CLUSTER_NODES: a three-node Redis Cluster of this file's own; the API and a worker process
 * know one seed node (REDIS_URL names a port where nothing listens), run a whole run, keep
 * idempotency keys and the per-key rate limit, and every key they write carries the `{prefix}`
 * hash tag, so all of them live in the one slot BullMQ's and the app's scripts need.
 */
describe('Redis Cluster', () => {
  let dir: string;
  const nodes: RedisServer[] = [];
  let h: RunsHarness;

  const clusterInfo = async (port: number): Promise<string> => {
    const c = new Redis({ port, host: '127.0.0.1' });
    try {
      return (await c.call('CLUSTER', 'INFO')) as string;
    } finally {
      c.disconnect();
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'geo-cluster-'));
    for (const name of ['a', 'b', 'c']) nodes.push(await startRedis(dir, name, [], ['cluster-enabled yes', `cluster-config-file nodes-${name}.conf`, 'cluster-node-timeout 2000']));
    const cli = process.env.REDIS_CLI_BIN ?? 'redis-cli';
    const created = spawnSync(cli, ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-yes'], { encoding: 'utf8' });
    if (created.status !== 0) throw new Error(`${cli} --cluster create (set REDIS_CLI_BIN): ${created.error?.message ?? ''} ${created.stdout} ${created.stderr}`);
    for (let i = 0; ; i++) {
      const states = await Promise.all(nodes.map(async (n) => /cluster_state:ok/.test(await clusterInfo(n.port))));
      if (states.every(Boolean)) break;
      if (i > 100) throw new Error('the cluster did not reach cluster_state:ok');
      await sleep(100);
    }
    h = await RunsHarness.start(__filename, {
      env: { REDIS_URL: 'redis://127.0.0.1:1/0', REDIS_CLUSTER_NODES: `127.0.0.1:${nodes[0].port}`, API_RATE_LIMIT_PER_MINUTE: '100000' },
    });
    await h.spawnWorker();
  }, 120_000);

  afterAll(async () => {
    await h?.close();
    for (const n of nodes) await stopRedis(n);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs a whole run, with every key of the deployment in one hash slot', async () => {
    expect((await h.api.http.get('/healthz').expect(200)).body.checks).toEqual({ db: 'up', redis: 'up' });
    const { campaignId } = await h.seedQuestions(6, 'cluster');
    const runId = await h.createRun(campaignId, ['openai', 'perplexity']);
    await h.startRun(runId);
    expect((await h.waitForTerminal(runId, 60_000)).status).toBe('completed');
    expect(await h.itemCounts(runId)).toMatchObject({ total: 12, succeeded: 12 });

    // The API's own keys: an idempotency key (replayed) and the rate limit's state.
    const body = { campaign_id: campaignId, providers: [{ provider: 'gemini', model: 'gemini-2.5-flash' }] };
    const first = await h.api.http.post('/api/v1/runs').set(h.api.auth).set('Idempotency-Key', 'in-a-cluster').send(body).expect(201);
    const again = await h.api.http.post('/api/v1/runs').set(h.api.auth).set('Idempotency-Key', 'in-a-cluster').send(body).expect(201);
    expect(again.body.id).toBe(first.body.id);
    expect(first.headers['ratelimit-remaining']).toBeDefined();

    const byNode = await Promise.all(
      nodes.map(async (n) => {
        const c = new Redis({ port: n.port, host: '127.0.0.1' });
        try {
          return await c.keys('*');
        } finally {
          c.disconnect();
        }
      }),
    );
    const keys = byNode.flat();
    expect(keys.length).toBeGreaterThan(5);
    expect(keys.every((k) => k.startsWith(`{${h.prefix}}:`))).toBe(true);
    expect(keys.some((k) => k.includes(':idem:'))).toBe(true);
    expect(keys.some((k) => k.includes(':ratelimit:'))).toBe(true);
    // All on one node: the one serving the hash tag's slot.
    expect(byNode.filter((k) => k.length > 0)).toHaveLength(1);
  }, 90_000);
});
