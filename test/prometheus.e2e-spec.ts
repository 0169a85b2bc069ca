import { getQueueToken } from '@nestjs/bullmq';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue, QueueEvents } from 'bullmq';
import { createServer } from 'node:net';
import { QueueName } from '../src/core/queue/queue-names';
import { MaintenanceJob } from '../src/runs/runs.jobs';
import { WorkerModule } from '../src/worker.module';
import { createTestApp, TestApp } from './helpers/test-app';

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

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
