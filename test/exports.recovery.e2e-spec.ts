import { getQueueToken } from '@nestjs/bullmq';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Queue } from 'bullmq';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueName } from '../src/core/queue/queue-names';
import { ExportsService } from '../src/exports/exports.service';
import { WorkerModule } from '../src/worker.module';
import { campaignBody } from './factories/catalogue';
import { createTestApp, TestApp } from './helpers/test-app';

/** The database is the source of truth for exports: a job Redis lost is queued again (or failed, for a mapper). */
describe('exports whose queue job was lost', () => {
  let t: TestApp;
  const dir = mkdtempSync(join(tmpdir(), 'geo-export-recovery-'));

  beforeAll(async () => {
    t = await createTestApp(__filename, { env: { EXPORT_DIR: dir, OPENAI_API_KEY: 'sk-never-called', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1:9' } });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('queues a file export again and fails a mapper export, then the worker writes the file', async () => {
    const api = (p: string): string => `/api/v1${p}`;
    const campaign = (await t.http.post(api('/campaigns')).set(t.auth).send(campaignBody()).expect(201)).body as { id: string };
    const run = (await t.http.post(api('/runs')).set(t.auth).send({ campaign_id: campaign.id, providers: [{ provider: 'openai', model: 'gpt-5-mini' }] }).expect(201)).body as { id: string };
    const file = (await t.http.post(api('/exports')).set(t.auth).send({ run_id: run.id, format: 'csv' }).expect(202)).body as { id: string };
    const hook = (await t.http.post(api('/exports')).set(t.auth).send({ run_id: run.id, format: 'jsonl', mapper: 'webhook', config: { url: 'http://127.0.0.1:9/hook', secret: 'a-secret-of-enough-length' } }).expect(202)).body as { id: string };

    // Redis loses the jobs (no worker has run yet).
    const queue = t.app.get<Queue>(getQueueToken(QueueName.Exports));
    await queue.remove(file.id);
    await queue.remove(hook.id);
    const service = t.app.get(ExportsService);
    // Within the grace period nothing is touched.
    expect(await service.recoverLost(new Date())).toEqual({ requeued: 0, failed: 0 });
    expect(await service.recoverLost(new Date(Date.now() + 11 * 60_000))).toEqual({ requeued: 1, failed: 1 });
    expect(await queue.getJob(file.id)).toBeDefined();
    const failed = (await t.http.get(api(`/exports/${hook.id}`)).set(t.auth).expect(200)).body as { status: string; error: string };
    expect(failed).toMatchObject({ status: 'failed', error: expect.stringMatching(/lost/) });

    const worker: INestApplicationContext = await NestFactory.createApplicationContext(WorkerModule, { logger: false });
    await worker.init();
    try {
      let status = '';
      for (let i = 0; i < 100 && status !== 'succeeded'; i++) {
        status = ((await t.http.get(api(`/exports/${file.id}`)).set(t.auth).expect(200)).body as { status: string }).status;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe('succeeded');
      const csv = await t.http.get(api(`/exports/${file.id}/file`)).set(t.auth).expect(200);
      expect(csv.text.startsWith('run_id,run_item_id,')).toBe(true);
    } finally {
      await worker.close();
    }
  });
});
