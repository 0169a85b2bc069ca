import { getQueueToken } from '@nestjs/bullmq';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue, QueueEvents } from 'bullmq';
import { QueueName } from '../src/core/queue/queue-names';
import { MaintenanceJob } from '../src/runs/runs.jobs';
import { WorkerModule } from '../src/worker.module';
import { RunsHarness } from './helpers/runs-harness';
import { createTestApp, TestApp } from './helpers/test-app';
import { freePort } from './helpers/free-port';

/** Both processes are scraped: the API at /metrics (open), the worker on METRICS_PORT. */
describe('Prometheus metrics', () => {
  let api: TestApp;
  let worker: INestApplicationContext;
  let workerPort: number;

  beforeAll(async () => {
    workerPort = await freePort();
    api = await createTestApp(__filename, { env: { METRICS_PORT: String(workerPort) } });
    worker = await NestFactory.createApplicationContext(WorkerModule, { logger: false });
    await worker.init();
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
  });

  it('serves the API metrics without a key, with request durations by route template and status', async () => {
    await api.http.get('/api/v1/campaigns').set(api.auth).expect(200);
    await api.http.get('/api/v1/campaigns/00000000-0000-0000-0000-000000000000').set(api.auth).expect(404);
    await api.http.get('/api/v1/campaigns').expect(401);
    const res = await api.http.get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.text;
    expect(text).toMatch(/geo_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/campaigns",status="200"\} [1-9]/);
    expect(text).toMatch(/geo_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/campaigns\/:id",status="404"\} [1-9]/);
    expect(text).toMatch(/geo_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/campaigns",status="401"\} [1-9]/);
    // Raw ids never become labels.
    expect(text).not.toContain('00000000-0000-0000-0000-000000000000');
    expect(text).toMatch(/geo_queue_jobs\{queue="maintenance",state="waiting"\} \d+/);
    expect(text).toContain('geo_process_resident_memory_bytes');
  });

  it("serves the worker's metrics on METRICS_PORT, with job durations by queue, name and outcome", async () => {
    const queue = api.app.get<Queue>(getQueueToken(QueueName.Maintenance));
    const events = new QueueEvents(QueueName.Maintenance, { connection: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }, prefix: process.env.QUEUE_PREFIX });
    await events.waitUntilReady();
    try {
      const job = await queue.add(MaintenanceJob.Ping, { sentAt: new Date().toISOString() });
      await job.waitUntilFinished(events, 10_000);
    } finally {
      await events.close();
    }
    // The completed event reaches the listener just after the job's promise resolves.
    let text = '';
    for (let i = 0; i < 20 && !/geo_job_duration_seconds_count\{queue="maintenance",name="ping",outcome="completed"\} [1-9]/.test(text); i++) {
      text = await (await fetch(`http://127.0.0.1:${workerPort}/metrics`)).text();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(text).toMatch(/geo_job_duration_seconds_count\{queue="maintenance",name="ping",outcome="completed"\} [1-9]/);
    expect(text).toContain('geo_circuit_breaker_state');
    expect((await fetch(`http://127.0.0.1:${workerPort}/other`)).status).toBe(404);
  });
});

/**
 * A worker process's counters after a real run through the emulator with injected 5xx: they agree
 * with what the database recorded (items by outcome) and with each other (every retried or failed
 * item is one failed provider call; every succeeded item one good call).
 */
describe("a worker's run and provider counters", () => {
  let h: RunsHarness;
  let port: number;
  const sum = (text: string, metric: string, match: Record<string, string>): number =>
    text
      .split('\n')
      .filter((l) => l.startsWith(`${metric}{`) && Object.entries(match).every(([k, v]) => l.includes(`${k}="${v}"`)))
      .reduce((acc, l) => acc + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);

  beforeAll(async () => {
    port = await freePort();
    h = await RunsHarness.start(__filename, {
      emulator: { providers: { openai: { latencyMs: { min: 5, max: 20 }, faults: { rate5xx: 0.3, status5xx: 503 } } } },
      env: { RUN_ITEM_ATTEMPTS: '2', RUN_RETRY_BASE_MS: '50', RUN_RETRY_MAX_MS: '200', PROVIDER_BREAKER_FAILURES: '1000' },
    });
    await h.spawnWorker({ METRICS_PORT: String(port) });
  }, 120_000);
  afterAll(async () => h?.close(), 60_000);

  it('counts items by provider and outcome, and provider calls, tokens and cost, as the database has them', async () => {
    const { campaignId } = await h.seedQuestions(30, 'prometheus');
    const runId = await h.createRun(campaignId, ['openai']);
    await h.startRun(runId);
    await h.waitForTerminal(runId, 60_000);
    const counts = await h.itemCounts(runId);
    expect(counts.succeeded + counts.failed).toBe(30);
    // 30% of calls fail: some items are retried, and with two attempts a few fail for good.
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const items = (outcome: string): number => sum(text, 'geo_run_items_total', { provider: 'openai', outcome });
    expect(items('succeeded')).toBe(counts.succeeded);
    expect(items('failed')).toBe(counts.failed);
    expect(items('retried')).toBeGreaterThan(0);
    expect(sum(text, 'geo_run_items_total', { outcome: 'failed', code: 'server_error' })).toBe(counts.failed);
    const calls = (outcome: string): number => sum(text, 'geo_provider_calls_total', { provider: 'openai', outcome });
    expect(calls('ok')).toBe(counts.succeeded);
    expect(calls('server_error')).toBe(items('retried') + items('failed'));
    const [db] = await h.sql<{ input: string; output: string; cost: string }>(
      `SELECT sum(input_tokens)::bigint AS input, sum(output_tokens)::bigint AS output, sum(cost_usd)::float8 AS cost FROM ${h.table('responses')} WHERE run_id = $1`,
      [runId],
    );
    expect(sum(text, 'geo_provider_tokens_total', { provider: 'openai', direction: 'input' })).toBe(Number(db.input));
    expect(sum(text, 'geo_provider_tokens_total', { provider: 'openai', direction: 'output' })).toBe(Number(db.output));
    expect(sum(text, 'geo_provider_cost_usd_total', { provider: 'openai' })).toBeCloseTo(Number(db.cost), 6);
    expect(text).toMatch(/geo_provider_call_duration_seconds_count\{provider="openai",model="[^"]+",outcome="ok"\} [1-9]/);
  });
});
