import { getQueueToken } from '@nestjs/bullmq';
import type { INestApplicationContext } from '@nestjs/common';
import { DiscoveryService, ModulesContainer, NestFactory } from '@nestjs/core';
import { Queue, QueueEvents } from 'bullmq';
import { processorQueues } from '../src/core/queue/processor-check';
import { ALL_QUEUES, QueueName } from '../src/core/queue/queue-names';
import { MaintenanceJob } from '../src/runs/runs.jobs';
import { WorkerModule } from '../src/worker.module';
import { createTestApp, TestApp } from './helpers/test-app';

/** The worker entrypoint's module consumes what the API enqueues; the API consumes nothing. */
describe('worker', () => {
  let api: TestApp;
  let worker: INestApplicationContext;

  beforeAll(async () => {
    api = await createTestApp(__filename);
    // Same environment (schema, queue prefix) as the API test app.
    worker = await NestFactory.createApplicationContext(WorkerModule, { logger: false });
    await worker.init();
  });
  afterAll(async () => {
    await worker?.close();
    await api?.close();
  });

  const served = (app: INestApplicationContext): string[] => processorQueues(new DiscoveryService(app.get(ModulesContainer)));

  it('has exactly one processor per queue in the worker, and none in the API', () => {
    expect(served(worker).sort()).toEqual([...ALL_QUEUES].sort());
    expect(served(api.app)).toEqual([]);
  });

  it('processes a job that the API process enqueued, through the shared BullMQ connection', async () => {
    const queue = api.app.get<Queue>(getQueueToken(QueueName.Maintenance));
    const events = new QueueEvents(QueueName.Maintenance, { connection: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }, prefix: process.env.QUEUE_PREFIX });
    await events.waitUntilReady();
    try {
      const job = await queue.add(MaintenanceJob.Ping, { sentAt: new Date().toISOString() });
      const result = (await job.waitUntilFinished(events, 10_000)) as { pid: number };
      expect(result.pid).toBe(process.pid);
    } finally {
      await events.close();
    }
  });

  it('fails an unknown job at once instead of retrying it', async () => {
    const queue = api.app.get<Queue>(getQueueToken(QueueName.Maintenance));
    const events = new QueueEvents(QueueName.Maintenance, { connection: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' }, prefix: process.env.QUEUE_PREFIX });
    await events.waitUntilReady();
    try {
      const job = await queue.add('no-such-job', {}, { attempts: 5 });
      await expect(job.waitUntilFinished(events, 10_000)).rejects.toThrow(/unknown maintenance job/);
      const failed = await queue.getJob(job.id!);
      expect(failed?.attemptsMade).toBe(1);
    } finally {
      await events.close();
    }
  });
});
