import { getQueueToken } from '@nestjs/bullmq';
import type { INestApplicationContext } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/emulator';
import { WorkerModule } from '../../src/worker.module';
import { campaignBody } from '../factories/catalogue';
import { expectProblem } from '../helpers/problem';
import { adminQuery } from '../helpers/schema';
import { createTestApp, DbMode, TestApp } from '../helpers/test-app';
import { emulatorEnv } from '../helpers/emulator-env';

type Summary = {
  id: string;
  status: string;
  counts: Record<string, number>;
  progress: number;
  cost_usd: number;
  errors: { run_item_id: string; message: string }[];
  finished_at: string | null;
};

const PROVIDERS = [
  { provider: 'openai', model: 'gpt-5-mini', settings: { web_search: true } },
  { provider: 'perplexity', model: 'perplexity/sonar' },
  { provider: 'gemini', model: 'gemini-2.5-flash' },
];

const TERMINAL = ['completed', 'completed_with_errors', 'cancelled'];

/**
 * Runs through the real HTTP stack and a real worker (the WorkerModule application context, the
 * same as src/worker.ts), with the real provider clients calling the emulator over HTTP, in one
 * database mode.
 */
export function runsSuite(file: string, mode: DbMode): void {
  describe(`runs (${mode} schema)`, () => {
    let t: TestApp;
    let emu: EmulatorHandle;
    let worker: INestApplicationContext;
    let campaignId: string;
    let otherCampaignId: string;

    const api = (path: string): string => `/api/v1${path}`;
    const get = (path: string) => t.http.get(api(path)).set(t.auth);
    const post = (path: string, body?: unknown) => t.http.post(api(path)).set(t.auth).send(body as object);
    const summary = async (id: string): Promise<Summary> => (await get(`/runs/${id}`).expect(200)).body as Summary;
    const calls = (): number => {
      const s = emu.stats();
      return s.providers.openai.calls + s.providers.gemini.calls + s.providers.perplexity.calls;
    };
    const sql = <T = Record<string, unknown>>(query: string, params: unknown[] = []): Promise<T[]> => adminQuery<T>(query.replaceAll('$schema', `"${t.schema}"`), params);
    /** Items and answers of a run straight from the database, whatever the mode. */
    const stored = async (runId: string): Promise<{ items: number; answers: number; distinct: number; byStatus: Record<string, number> }> => {
      if (mode === 'full') {
        const [c] = await sql<{ items: number; answers: number; distinct: number }>(
          `SELECT (SELECT count(*)::int FROM $schema.run_items WHERE run_id = $1) AS items,
                  (SELECT count(*)::int FROM $schema.responses WHERE run_id = $1) AS answers,
                  (SELECT count(DISTINCT run_item_id)::int FROM $schema.responses WHERE run_id = $1) AS distinct`,
          [runId],
        );
        const rows = await sql<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM $schema.run_items WHERE run_id = $1 GROUP BY status`, [runId]);
        return { ...c, byStatus: Object.fromEntries(rows.map((r) => [r.status, r.n])) };
      }
      const [c] = await sql<{ items: number; answers: number; distinct: number }>(
        `SELECT count(*)::int AS items, count(*) FILTER (WHERE payload::jsonb -> 'response' <> 'null'::jsonb)::int AS answers,
                count(DISTINCT run_item_id)::int AS distinct FROM $schema.results WHERE run_id = $1`,
        [runId],
      );
      const rows = await sql<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM $schema.results WHERE run_id = $1 GROUP BY status`, [runId]);
      return { ...c, byStatus: Object.fromEntries(rows.map((r) => [r.status, r.n])) };
    };

    const waitFor = async (id: string, statuses = TERMINAL, ms = 45_000): Promise<Summary> => {
      const deadline = Date.now() + ms;
      for (;;) {
        const s = await summary(id);
        if (statuses.includes(s.status)) return s;
        if (Date.now() > deadline) throw new Error(`run ${id} still ${s.status} after ${ms} ms: ${JSON.stringify(s.counts)}`);
        await new Promise((r) => setTimeout(r, 150));
      }
    };

    const createRun = async (body: Record<string, unknown> = {}): Promise<Summary> =>
      (await post('/runs', { campaign_id: campaignId, label: 'test', providers: PROVIDERS, ...body }).expect(201)).body as Summary;

    beforeAll(async () => {
      emu = await startEmulator({
        port: 0,
        seed: 'runs-suite',
        brands: [
          { name: 'Acme CRM', aliases: ['Acme'], domains: ['acme.example'], probability: 0.7 },
          { name: 'Globex', aliases: [], domains: ['globex.example'], probability: 0.5 },
        ],
      });
      t = await createTestApp(file, {
        mode,
        env: {
          ...emulatorEnv(emu),
          OPENAI_QPS: '200',
          GEMINI_QPS: '200',
          PERPLEXITY_QPS: '200',
          OPENAI_BURST: '50',
          GEMINI_BURST: '50',
          PERPLEXITY_BURST: '50',
          OPENAI_TIMEOUT_MS: '3000',
          GEMINI_TIMEOUT_MS: '3000',
          PERPLEXITY_TIMEOUT_MS: '3000',
          RUN_ITEM_ATTEMPTS: '2',
          RUN_RETRY_BASE_MS: '50',
          RUN_RETRY_MAX_MS: '200',
          RECONCILE_INTERVAL_MS: '1000',
          WORKER_STALLED_INTERVAL_MS: '2000',
          PROVIDER_BREAKER_FAILURES: '1000',
        },
      });
      // The worker reads the same environment (schema, queue prefix, providers) as the API above.
      worker = await NestFactory.createApplicationContext(WorkerModule, { logger: false });
      await worker.init();

      const lines = Array.from({ length: 5 }, (_, i) =>
        JSON.stringify({
          campaign: { name: `Runs ${t.schema}`, product_name: 'Acme CRM' },
          topic: { title: i < 3 ? 'CRM for agencies' : 'CRM pricing' },
          persona: { name: i % 2 ? `Founder ${t.schema}` : `Analyst ${t.schema}`, role: i % 2 ? 'Founder' : 'Analyst', locale: 'en-US' },
          question: { text: `Which CRM should an agency of ${i + 5} people choose?` },
        }),
      );
      await t.http.post(api('/question-sets:import')).set(t.auth).set('Content-Type', 'application/x-ndjson').send(lines.join('\n')).expect(200);
      const campaigns = (await get('/campaigns?limit=500').expect(200)).body.items as { id: string; name: string }[];
      campaignId = campaigns.find((c) => c.name === `Runs ${t.schema}`)!.id;
      await t.http
        .patch(api(`/campaigns/${campaignId}`))
        .set(t.auth)
        .send({ brand_aliases: ['Acme'], brand_domains: ['acme.example'], competitors: [{ name: 'Globex', aliases: [], domains: ['globex.example'] }] })
        .expect(200);
      otherCampaignId = ((await post('/campaigns', campaignBody()).expect(201)).body as { id: string }).id;
    });

    afterAll(async () => {
      await worker?.close();
      await t?.close();
      await emu?.close();
    });

    beforeEach(() => emu.reset());

    describe('creating a run', () => {
      it('answers 201 with the run in status created and nothing materialized', async () => {
        const run = await createRun({ samples: 2, prompt_version: 'v2' });
        expect(run).toMatchObject({ status: 'created', counts: { total: 0 }, progress: 0, samples: 2, prompt_version: 'v2' });
        expect((await stored(run.id)).items).toBe(0);
      });

      it.each([
        ['an unknown provider', { providers: [{ provider: 'bing', model: 'x' }] }, 'providers.0.provider'],
        ['an unknown provider setting', { providers: [{ provider: 'openai', model: 'gpt-5-mini', settings: { temperature_x: 1 } }] }, 'providers.0'],
        ['a malformed model id', { providers: [{ provider: 'openai', model: 'gpt 5 !' }] }, 'providers.0'],
        ['no provider', { providers: [] }, 'providers'],
        ['zero samples', { samples: 0 }, 'samples'],
        ['an unknown prompt version', { prompt_version: 'v99' }, 'prompt_version'],
        ['an unknown field', { colour: 'red' }, 'colour'],
        ['a malformed topic id', { filters: { topic_ids: ['nope'] } }, 'filters.topic_ids'],
        ['the same setting twice', { providers: [PROVIDERS[1], PROVIDERS[1]] }, 'providers.1'],
      ])('refuses %s with a 400 naming the field, and writes nothing', async (_name, body, field) => {
        const before = (await get(`/runs?campaign_id=${campaignId}&limit=1`).expect(200)).body.total as number;
        const res = await post('/runs', { campaign_id: campaignId, providers: PROVIDERS, ...body });
        const problem = expectProblem(res, 400, 'validation_failed');
        expect(problem.errors?.some((e) => e.field === field || e.field?.startsWith(`${field}.`))).toBe(true);
        expect((await get(`/runs?campaign_id=${campaignId}&limit=1`).expect(200)).body.total).toBe(before);
      });

      it('refuses a topic of another campaign (400) and an unknown campaign (404)', async () => {
        const topics = (await get(`/campaigns/${campaignId}/topics`).expect(200)).body.items as { id: string }[];
        expectProblem(await post('/runs', { campaign_id: otherCampaignId, providers: PROVIDERS, filters: { topic_ids: [topics[0].id] } }), 400, 'validation_failed');
        expectProblem(await post('/runs', { campaign_id: randomUUID(), providers: PROVIDERS }), 404, 'not_found');
      });

      it('answers 404 for an unknown run and 400 for a malformed id, on every run route', async () => {
        const id = randomUUID();
        expectProblem(await get(`/runs/${id}`), 404, 'not_found');
        expectProblem(await post(`/runs/${id}/start`), 404, 'not_found');
        expectProblem(await post(`/runs/${id}/resume`), 404, 'not_found');
        expectProblem(await post(`/runs/${id}/cancel`), 404, 'not_found');
        expectProblem(await get(`/runs/${id}/items`), 404, 'not_found');
        expectProblem(await get(`/runs/${id}/events`), 404, 'not_found');
        expectProblem(await get('/runs/not-a-uuid'), 400, 'validation_failed');
        expectProblem(await get(`/runs/${id}/items?status=nope`), 400, 'validation_failed');
        expectProblem(await get(`/runs/${id}/items?mentioned=maybe`), 400, 'validation_failed');
      });

      it('creates one run for a repeated Idempotency-Key', async () => {
        const key = randomUUID();
        const body = { campaign_id: campaignId, label: 'idem', providers: PROVIDERS };
        const a = await post('/runs', body).set('Idempotency-Key', key).expect(201);
        const b = await post('/runs', body).set('Idempotency-Key', key).expect(201);
        expect(b.headers['idempotent-replayed']).toBe('true');
        expect(b.body.id).toBe(a.body.id);
        const all = (await get(`/runs?campaign_id=${campaignId}&limit=500`).expect(200)).body.items as { label: string }[];
        expect(all.filter((r) => r.label === 'idem')).toHaveLength(1);
      });
    });

    describe('a run from start to end', () => {
      let run: Summary;
      let callsDuringRun = 0;
      const events: { event: string; data: Summary }[] = [];

      beforeAll(async () => {
        emu.setConfig({ providers: { openai: { latencyMs: { min: 20, max: 60 } }, gemini: { latencyMs: { min: 20, max: 60 } }, perplexity: { latencyMs: { min: 20, max: 60 } } } });
        run = await createRun({ samples: 2 });
        // Listen to the progress stream from before the start to the end, on a second API process (same
        // database and Redis): the stream does not depend on which API process started the run.
        const second = await createTestApp(file, { mode, schema: t.schema, keepRedisPrefix: true, env: emulatorEnv(emu) });
        const server = second.app.getHttpServer().listen(0);
        const port = (server.address() as { port: number }).port;
        const streamDone = new Promise<void>((resolve, reject) => {
          const req = http.get({ host: '127.0.0.1', port, path: api(`/runs/${run.id}/events`), headers: t.auth }, (res) => {
            expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
            let buffer = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              buffer += chunk;
              let end: number;
              while ((end = buffer.indexOf('\n\n')) >= 0) {
                const block = buffer.slice(0, end);
                buffer = buffer.slice(end + 2);
                const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
                const data = /^data: (.*)$/m.exec(block)?.[1];
                if (data) events.push({ event, data: JSON.parse(data) as Summary });
              }
            });
            res.on('end', () => resolve());
          });
          req.on('error', reject);
          const timer = setTimeout(() => req.destroy(new Error('SSE stream did not end')), 40_000);
          req.on('close', () => clearTimeout(timer));
        });
        const started = await post(`/runs/${run.id}/start`).expect(202);
        expect(started.body).toMatchObject({ status: 'running', counts: { total: 30 } });
        const again = await post(`/runs/${run.id}/start`).expect(202);
        expect(again.body.counts.total).toBe(30);
        run = await waitFor(run.id);
        callsDuringRun = calls();
        await streamDone;
        server.close();
        await second.close();
      });

      it('ends completed with exactly one answer per item and one provider call per item', async () => {
        expect(run).toMatchObject({ status: 'completed', progress: 1, counts: { total: 30, succeeded: 30, failed: 0, queued: 0, running: 0 } });
        expect(run.finished_at).not.toBeNull();
        expect(run.cost_usd).toBeGreaterThan(0);
        expect(await stored(run.id)).toMatchObject({ items: 30, answers: 30, distinct: 30, byStatus: { succeeded: 30 } });
        expect(callsDuringRun).toBe(30);
      });

      it('makes no new call and creates nothing when started again after the end', async () => {
        const before = calls();
        const res = await post(`/runs/${run.id}/start`).expect(202);
        expect(res.body).toMatchObject({ status: 'completed', counts: { total: 30 } });
        await new Promise((r) => setTimeout(r, 300));
        expect(calls()).toBe(before);
        expect((await stored(run.id)).items).toBe(30);
      });

      it('streamed progress as Server-Sent Events and then done', () => {
        const progress = events.filter((e) => e.event === 'progress');
        expect(progress.length).toBeGreaterThanOrEqual(2);
        expect(events[events.length - 1]).toMatchObject({ event: 'done', data: { status: 'completed' } });
        const done = progress.map((e) => e.data.counts.succeeded);
        expect(done).toEqual([...done].sort((a, b) => a - b));
      });

      it('lists items with their answers, citations, usage and analysis', async () => {
        const page = (await get(`/runs/${run.id}/items?limit=10`).expect(200)).body as { items: Record<string, unknown>[]; total: number };
        expect(page.total).toBe(30);
        expect(page.items).toHaveLength(10);
        expect(page.items[0]).toMatchObject({
          status: 'succeeded',
          attempt_count: 1,
          question_text: expect.stringMatching(/Which CRM/),
          topic_title: 'CRM for agencies',
          persona_name: expect.any(String),
          response: { text: expect.any(String), citations: expect.any(Array), usage: { input_tokens: expect.any(Number) }, latency_ms: expect.any(Number) },
          analysis: { brand_mentioned: expect.any(Boolean), cited_domains: expect.any(Array) },
        });
      });

      it('filters items by status, provider, topic, persona and mention, and searches answers', async () => {
        const list = async (q: string) => (await get(`/runs/${run.id}/items?limit=500&${q}`).expect(200)).body as { items: { provider: string; topic_id: string; persona_id: string; analysis: { brand_mentioned: boolean }; response: { text: string } }[]; total: number };
        expect((await list('provider=gemini')).total).toBe(10);
        expect((await list('provider=gemini')).items.every((i) => i.provider === 'gemini')).toBe(true);
        expect((await list('status=failed')).total).toBe(0);
        const all = await list('');
        const topicId = all.items[0].topic_id;
        expect((await list(`topic_id=${topicId}`)).total).toBe(all.items.filter((i) => i.topic_id === topicId).length);
        const personaId = all.items[0].persona_id;
        expect((await list(`persona_id=${personaId}`)).total).toBe(all.items.filter((i) => i.persona_id === personaId).length);
        const mentioned = all.items.filter((i) => i.analysis.brand_mentioned).length;
        expect((await list('mentioned=true')).total).toBe(mentioned);
        expect((await list('mentioned=false')).total).toBe(30 - mentioned);
        // A word that occurs in some answers and not in others.
        const word = /\b([A-Za-z]{6,})\b/.exec(all.items[0].response.text)![1];
        const hits = await list(`q=${encodeURIComponent(word)}`);
        expect(hits.total).toBeGreaterThan(0);
        expect(hits.items.every((i) => i.response.text.toLowerCase().includes(word.toLowerCase()))).toBe(true);
        expect((await list('q=zzzqqqnotaword')).total).toBe(0);
      });

      it('refuses to cancel or resume-from-created illegally (409), and cancels nothing twice', async () => {
        expectProblem(await post(`/runs/${run.id}/cancel`), 409, 'invalid_state_transition');
        const fresh = await createRun();
        expectProblem(await post(`/runs/${fresh.id}/resume`), 409, 'invalid_state_transition');
        await post(`/runs/${fresh.id}/cancel`).expect(202);
        await post(`/runs/${fresh.id}/cancel`).expect(202);
        expectProblem(await post(`/runs/${fresh.id}/start`), 409, 'invalid_state_transition');
        expect((await summary(fresh.id)).status).toBe('cancelled');
      });
    });

    it('cancels queued items at once and lets running ones finish', async () => {
      emu.setConfig({ providers: { openai: { latencyMs: 300 }, gemini: { latencyMs: 300 }, perplexity: { latencyMs: 300 } } });
      const run = await createRun({ samples: 20 });
      await post(`/runs/${run.id}/start`).expect(202);
      await new Promise((r) => setTimeout(r, 400));
      const cancelled = (await post(`/runs/${run.id}/cancel`).expect(202)).body as Summary;
      expect(cancelled.status).toBe('cancelled');
      expect(cancelled.counts.cancelled).toBeGreaterThan(0);
      // Running items finish; nothing else is called.
      await new Promise((r) => setTimeout(r, 1500));
      const after = await stored(run.id);
      expect(after.byStatus.queued ?? 0).toBe(0);
      expect(after.byStatus.running ?? 0).toBe(0);
      expect(after.answers).toBe(after.byStatus.succeeded ?? 0);
      expect(calls()).toBe(after.answers);
      expect((await summary(run.id)).status).toBe('cancelled');
      expectProblem(await post(`/runs/${run.id}/resume`), 409, 'invalid_state_transition');

      // A job that comes back for an item left running by a dead worker cancels it and calls nothing.
      const [victim] = (await get(`/runs/${run.id}/items?status=cancelled&limit=1`).expect(200)).body.items as { id: string; provider: string }[];
      await sql(
        mode === 'full' ? `UPDATE $schema.run_items SET status = 'running' WHERE id = $1` : `UPDATE $schema.results SET status = 'running' WHERE run_item_id = $1`,
        [victim.id],
      );
      const callsBefore = calls();
      const queue = t.app.get<Queue>(getQueueToken(`provider-${victim.provider}`));
      await queue.add('run-item', { runId: run.id, itemId: victim.id }, { jobId: victim.id, removeOnComplete: true });
      const deadline = Date.now() + 10_000;
      while ((await stored(run.id)).byStatus.running && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect((await stored(run.id)).byStatus.running ?? 0).toBe(0);
      expect(calls()).toBe(callsBefore);
    });

    it('fails items after their last attempt with the error, lists them, and resumes them', async () => {
      emu.setConfig({ providers: { gemini: { faults: { rate5xx: 1, status5xx: 503 } } } });
      const run = await createRun();
      await post(`/runs/${run.id}/start`).expect(202);
      const ended = await waitFor(run.id);
      expect(ended).toMatchObject({ status: 'completed_with_errors', counts: { total: 15, succeeded: 10, failed: 5 } });
      expect(ended.errors.length).toBe(5);
      expect(ended.errors[0].message).toMatch(/^server_error \(HTTP 503\): gemini: .*\(gave up after 2 attempts\)$/);
      // Two attempts each (RUN_ITEM_ATTEMPTS=2), retryable errors only.
      expect(emu.stats().providers.gemini.calls).toBe(10);
      const failed = (await get(`/runs/${run.id}/items?status=failed`).expect(200)).body as { items: { last_error: string; attempt_count: number }[] };
      expect(failed.items.every((i) => i.attempt_count === 2 && /503/.test(i.last_error))).toBe(true);

      emu.setConfig({ providers: { gemini: { faults: { rate5xx: 0 } } } });
      expect((await post(`/runs/${run.id}/resume`).expect(202)).body).toEqual({ requeued: 5 });
      const resumed = await waitFor(run.id);
      expect(resumed).toMatchObject({ status: 'completed', counts: { succeeded: 15, failed: 0 } });
      expect(await stored(run.id)).toMatchObject({ items: 15, answers: 15, distinct: 15 });
    });

    it('fails a permanent error at once, without retrying', async () => {
      const run = await createRun({ providers: [{ provider: 'openai', model: 'gpt-no-such-model' }] });
      await post(`/runs/${run.id}/start`).expect(202);
      const ended = await waitFor(run.id);
      expect(ended).toMatchObject({ status: 'completed_with_errors', counts: { total: 5, failed: 5 } });
      expect(emu.stats().providers.openai.calls).toBe(5);
    });

    it('re-enqueues items whose jobs were lost, from the database (reconciler)', async () => {
      emu.setConfig({ providers: { perplexity: { latencyMs: 50 } } });
      const run = await createRun({ providers: [PROVIDERS[1]], samples: 4 });
      await post(`/runs/${run.id}/start`).expect(202);
      // Every job of the run vanishes from Redis (as when Redis restarts empty).
      const queue = `${process.env.QUEUE_PREFIX}:provider-perplexity`;
      const { default: Redis } = await import('ioredis');
      const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
      try {
        const keys = await redis.keys(`${queue}:*`);
        if (keys.length) await redis.del(...keys);
      } finally {
        redis.disconnect();
      }
      const ended = await waitFor(run.id);
      expect(ended).toMatchObject({ status: 'completed', counts: { total: 20, succeeded: 20 } });
      expect(await stored(run.id)).toMatchObject({ items: 20, answers: 20, distinct: 20 });
    });

    describe('schedules', () => {
      it('refuses a bad cron pattern, a bad time zone and bad run settings (400), and an unknown campaign (404)', async () => {
        expectProblem(await post(`/campaigns/${campaignId}/schedules`, { cron: '99 * * * *', run: { providers: PROVIDERS } }), 400, 'validation_failed');
        expectProblem(await post(`/campaigns/${campaignId}/schedules`, { cron: '0 6 * * 1', timezone: 'Mars/Olympus', run: { providers: PROVIDERS } }), 400, 'validation_failed');
        expectProblem(await post(`/campaigns/${campaignId}/schedules`, { cron: '0 6 * * 1', run: { providers: [{ provider: 'bing', model: 'x' }] } }), 400, 'validation_failed');
        expectProblem(await post(`/campaigns/${randomUUID()}/schedules`, { cron: '0 6 * * 1', run: { providers: PROVIDERS } }), 404, 'not_found');
      });

      it('creates and starts runs on its schedule, lists and deletes it', async () => {
        const created = (await post(`/campaigns/${campaignId}/schedules`, { cron: '*/2 * * * * *', run: { label: 'every 2 s', providers: [PROVIDERS[0]] } }).expect(201)).body as { id: string; next_run_at: string };
        expect(Date.parse(created.next_run_at)).toBeGreaterThan(Date.now() - 1000);
        const listed = (await get(`/campaigns/${campaignId}/schedules`).expect(200)).body as { items: { id: string }[] };
        expect(listed.items.map((s) => s.id)).toContain(created.id);
        let scheduled: Summary | undefined;
        const deadline = Date.now() + 15_000;
        while (!scheduled && Date.now() < deadline) {
          const runs = (await get(`/runs?campaign_id=${campaignId}&limit=500`).expect(200)).body.items as (Summary & { schedule_id: string | null })[];
          scheduled = runs.find((r) => r.schedule_id === created.id);
          if (!scheduled) await new Promise((r) => setTimeout(r, 200));
        }
        expect(scheduled).toBeDefined();
        await t.http.delete(api(`/campaigns/${campaignId}/schedules/${created.id}`)).set(t.auth).expect(204);
        expectProblem(await t.http.delete(api(`/campaigns/${campaignId}/schedules/${created.id}`)).set(t.auth), 404, 'not_found');
        const done = await waitFor(scheduled!.id);
        expect(done).toMatchObject({ status: 'completed', counts: { total: 5, succeeded: 5 } });
        // No further firing once deleted.
        await new Promise((r) => setTimeout(r, 2500));
        const runs = (await get(`/runs?campaign_id=${campaignId}&limit=500`).expect(200)).body.items as { schedule_id: string | null }[];
        const fromSchedule = runs.filter((r) => r.schedule_id === created.id).length;
        await new Promise((r) => setTimeout(r, 2500));
        const later = (await get(`/runs?campaign_id=${campaignId}&limit=500`).expect(200)).body.items as { schedule_id: string | null }[];
        expect(later.filter((r) => r.schedule_id === created.id).length).toBe(fromSchedule);
      });
    });
  });
}
