import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { startEmulator, type EmulatorHandle } from '../src/emulator/emulator';
import { WorkerModule } from '../src/worker.module';
import { adminQuery } from './helpers/schema';
import { createTestApp, TestApp } from './helpers/test-app';
import { emulatorEnv } from './helpers/emulator-env';

type Summary = { id: string; status: string; counts: Record<string, number>; cost_usd: number; cache_hits: number };

/**
 * Response reuse across runs (RESPONSE_CACHE_TTL_SECONDS) and concurrent starts: an identical
 * request within the window is answered from the cache, counted as a hit and costs nothing; two
 * starts at the same moment materialize the run once.
 */
describe('runs: response cache and concurrent starts', () => {
  let t: TestApp;
  let emu: EmulatorHandle;
  let worker: INestApplicationContext;
  let campaignId: string;
  const providers = [
    { provider: 'openai', model: 'gpt-5-mini' },
    { provider: 'gemini', model: 'gemini-2.5-flash' },
  ];

  const calls = (): number => {
    const s = emu.stats().providers;
    return s.openai.calls + s.gemini.calls + s.perplexity.calls;
  };
  const run = async (body: Record<string, unknown> = {}): Promise<Summary> => {
    const created = (await t.http.post('/api/v1/runs').set(t.auth).send({ campaign_id: campaignId, providers, samples: 2, ...body }).expect(201)).body as Summary;
    // Two starts at once: the run's lock lets one materialize, the other finds it running.
    const [a, b] = await Promise.all([
      t.http.post(`/api/v1/runs/${created.id}/start`).set(t.auth).expect(202),
      t.http.post(`/api/v1/runs/${created.id}/start`).set(t.auth).expect(202),
    ]);
    expect([a.body.counts.total, b.body.counts.total]).toEqual([12, 12]);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const s = (await t.http.get(`/api/v1/runs/${created.id}`).set(t.auth).expect(200)).body as Summary;
      if (['completed', 'completed_with_errors', 'cancelled'].includes(s.status)) return s;
      if (Date.now() > deadline) throw new Error(`run still ${s.status}: ${JSON.stringify(s.counts)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    emu = await startEmulator({ port: 0, seed: 'cache' });
    t = await createTestApp(__filename, {
      env: {
        ...emulatorEnv(emu),
        OPENAI_QPS: '500',
        GEMINI_QPS: '500',
        RESPONSE_CACHE_TTL_SECONDS: '3600',
      },
    });
    worker = await NestFactory.createApplicationContext(WorkerModule, { logger: false });
    await worker.init();
    const lines = Array.from({ length: 3 }, (_, i) =>
      JSON.stringify({ campaign: `Cache ${t.schema}`, topic: 'CRM', persona: `Owner ${t.schema}`, question: `Which CRM fits a team of ${i + 2}?` }),
    );
    await t.http.post('/api/v1/question-sets:import').set(t.auth).set('Content-Type', 'application/x-ndjson').send(lines.join('\n')).expect(200);
    const campaigns = (await t.http.get('/api/v1/campaigns?limit=500').set(t.auth).expect(200)).body.items as { id: string; name: string }[];
    campaignId = campaigns.find((c) => c.name === `Cache ${t.schema}`)!.id;
  });

  afterAll(async () => {
    await worker?.close();
    await t?.close();
    await emu?.close();
  });

  it('answers an identical run from the cache, at no cost, and asks again when anything differs', async () => {
    const first = await run();
    expect(first).toMatchObject({ status: 'completed', counts: { total: 12, succeeded: 12 }, cache_hits: 0 });
    expect(first.cost_usd).toBeGreaterThan(0);
    expect(calls()).toBe(12);

    const second = await run();
    expect(second).toMatchObject({ status: 'completed', counts: { total: 12, succeeded: 12 }, cache_hits: 12, cost_usd: 0 });
    expect(calls()).toBe(12);
    const [row] = await adminQuery<{ hits: number; answers: number }>(
      `SELECT count(*) FILTER (WHERE cache_hit)::int AS hits, count(*)::int AS answers FROM "${t.schema}".responses WHERE run_id = $1`,
      [second.id],
    );
    expect(row).toEqual({ hits: 12, answers: 12 });
    // The stored answers are the first run's, sample for sample.
    const texts = async (id: string): Promise<string[]> =>
      (await adminQuery<{ text: string }>(`SELECT r.text FROM "${t.schema}".responses r JOIN "${t.schema}".run_items i ON i.id = r.run_item_id WHERE r.run_id = $1 ORDER BY i.question_id, i.provider, i.sample_index`, [id])).map((r) => r.text);
    expect(await texts(second.id)).toEqual(await texts(first.id));

    const third = await run({ prompt_version: 'v2' });
    expect(third).toMatchObject({ status: 'completed', counts: { succeeded: 12 }, cache_hits: 0 });
    expect(calls()).toBe(24);
  });
});
