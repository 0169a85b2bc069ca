import Redis from 'ioredis';
import { startEmulator, type EmulatorHandle } from '../src/emulator/emulator';
import { RunItemRepository } from '../src/runs/run-item.repository';
import { emulatorEnv } from './helpers/emulator-env';
import { adminQuery } from './helpers/schema';
import { createTestApp, DbMode, TestApp } from './helpers/test-app';

type Summary = { id: string; status: string; counts: Record<string, number> };

/**
 * GET /runs/{id} under concurrent requests from two API processes (two apps on one schema and one
 * Redis): the figures are computed once per expiry however many requests arrive, a stale copy is
 * served while one request refreshes it, and GET /runs/{id}/items takes its total from the same
 * figures when it is filtered by status alone.
 */
describe.each<DbMode>(['full', 'compat'])('the run summary under concurrent requests (%s)', (mode) => {
  let emu: EmulatorHandle;
  let a: TestApp;
  let b: TestApp;
  let redis: Redis;
  let runId: string;
  let computations: () => number;
  let resetComputations: () => void;

  const summaryKey = (): string => `test-${a.schema}:run:${runId}:summary`;
  const burst = async (n: number): Promise<Summary[]> =>
    Promise.all(Array.from({ length: n }, async (_, i) => ((await (i % 2 ? b : a).http.get(`/api/v1/runs/${runId}`).set(a.auth).expect(200)).body as Summary)));

  beforeAll(async () => {
    emu = await startEmulator({ port: 0 });
    a = await createTestApp(__filename, { mode, env: emulatorEnv(emu) });
    b = await createTestApp(__filename, { mode, schema: a.schema, keepRedisPrefix: true, env: emulatorEnv(emu) });
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const lines = Array.from({ length: 4 }, (_, i) => JSON.stringify({ campaign: 'Summary cache', question: `Which CRM for a team of ${i + 3}?` }));
    await a.http.post('/api/v1/question-sets:import').set(a.auth).set('Content-Type', 'application/x-ndjson').send(lines.join('\n')).expect(200);
    const campaignId = ((await a.http.get('/api/v1/campaigns').set(a.auth).expect(200)).body as { items: { id: string }[] }).items[0].id;
    runId = ((await a.http.post('/api/v1/runs').set(a.auth).send({ campaign_id: campaignId, providers: [{ provider: 'openai', model: 'gpt-5-mini' }] }).expect(201)).body as Summary).id;
    // No worker: the four items stay queued.
    await a.http.post(`/api/v1/runs/${runId}/start`).set(a.auth).expect(202);
    const spies = [a, b].map((t) => jest.spyOn(t.app.get(RunItemRepository), 'countByStatus'));
    computations = () => spies.reduce((n, s) => n + s.mock.calls.length, 0);
    resetComputations = () => spies.forEach((s) => s.mockClear());
  });

  afterAll(async () => {
    redis?.disconnect();
    await b?.close();
    await a?.close();
    await emu?.close();
  });

  it('computes the figures once for a burst of requests to two processes with nothing cached', async () => {
    await redis.del(summaryKey());
    resetComputations();
    const answers = await burst(40);
    expect(new Set(answers.map((s) => JSON.stringify(s.counts))).size).toBe(1);
    expect(answers[0].counts).toMatchObject({ total: 4, queued: 4 });
    expect(computations()).toBe(1);
  });

  it('serves the stale copy at once once it expires, while one request computes the next', async () => {
    await burst(2);
    await new Promise((r) => setTimeout(r, 1100));
    // One item fails meanwhile (as a worker would record it).
    if (mode === 'full') await adminQuery(`UPDATE "${a.schema}".run_items SET status = 'failed', last_error = 'x' WHERE id = (SELECT id FROM "${a.schema}".run_items WHERE run_id = $1 LIMIT 1)`, [runId]);
    else await adminQuery(`UPDATE "${a.schema}".results SET status = 'failed', last_error = 'x' WHERE id = (SELECT id FROM "${a.schema}".results WHERE run_id = $1 LIMIT 1)`, [runId]);
    resetComputations();
    const answers = await burst(40);
    expect(computations()).toBe(1);
    // Every answer is either the copy from before the change or the new one.
    for (const s of answers) expect([0, 1]).toContain(s.counts.failed);
    const deadline = Date.now() + 5000;
    let latest = answers[answers.length - 1];
    while (latest.counts.failed !== 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      latest = (await burst(1))[0];
    }
    expect(latest.counts).toMatchObject({ total: 4, queued: 3, failed: 1 });
  });

  it("gives a page of items filtered by status alone the summary's totals, and counts other filters", async () => {
    await burst(1);
    resetComputations();
    const all = (await a.http.get(`/api/v1/runs/${runId}/items?limit=2`).set(a.auth).expect(200)).body as { total: number; items: unknown[] };
    const queued = (await b.http.get(`/api/v1/runs/${runId}/items?status=queued`).set(a.auth).expect(200)).body as { total: number; items: unknown[] };
    expect([all.total, all.items.length]).toEqual([4, 2]);
    expect([queued.total, queued.items.length]).toEqual([3, 3]);
    // Both came from the cached figures (fresh within the second).
    expect(computations()).toBe(0);
    const byProvider = (await a.http.get(`/api/v1/runs/${runId}/items?provider=openai&status=failed`).set(a.auth).expect(200)).body as { total: number };
    expect(byProvider.total).toBe(1);
  });
});
