import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import type { JobsOptions, Queue } from 'bullmq';
import type Redis from 'ioredis';
import { AppConfig, ProviderName } from '../core/config/app-config';
import { chunk } from '../core/database/bulk-sql';
import { PROVIDER_QUEUES, QueueName } from '../core/queue/queue-names';
import { REDIS } from '../core/redis/redis.module';
import type { ActiveItemRef } from './run-item.repository';
import { RUN_ITEM_JOB, RunItemJobData } from './runs.jobs';

/** The custom backoff the provider workers register (see RunItemExecutor.backoff). */
export const RUN_ITEM_BACKOFF = 'jittered';

/**
 * The provider queues as producers: one job per run item, jobId = the item's id, so BullMQ itself
 * refuses a second live job for an item. Jobs are removed when they end: the database keeps the
 * outcome, and a later resume can enqueue the same id again.
 */
@Injectable()
export class RunQueues {
  private readonly queues: Record<ProviderName, Queue>;

  constructor(
    @InjectQueue(QueueName.ProviderOpenai) openai: Queue,
    @InjectQueue(QueueName.ProviderGemini) gemini: Queue,
    @InjectQueue(QueueName.ProviderPerplexity) perplexity: Queue,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly config: AppConfig,
  ) {
    this.queues = { openai, gemini, perplexity };
  }

  private jobOptions(id: string): JobsOptions {
    return {
      jobId: id,
      attempts: this.config.runs.attempts,
      backoff: { type: RUN_ITEM_BACKOFF },
      removeOnComplete: true,
      removeOnFail: true,
    };
  }

  /** Adds a job per item (in bulk); an item that already has a live job keeps it. */
  async enqueue(items: ActiveItemRef[]): Promise<void> {
    for (const provider of Object.keys(this.queues) as ProviderName[]) {
      const mine = items.filter((i) => i.provider === provider);
      for (const part of chunk(mine, 1000)) {
        await this.queues[provider].addBulk(
          part.map((i) => ({ name: RUN_ITEM_JOB, data: { runId: i.runId, itemId: i.id } satisfies RunItemJobData, opts: this.jobOptions(i.id) })),
        );
      }
    }
  }

  /** The items among `items` that have no job in Redis (waiting, delayed, active or retrying). */
  async withoutJob(items: ActiveItemRef[]): Promise<ActiveItemRef[]> {
    const missing: ActiveItemRef[] = [];
    for (const part of chunk(items, 1000)) {
      const pipeline = this.redis.pipeline();
      for (const i of part) pipeline.exists(this.jobKey(i.provider, i.id));
      const results = (await pipeline.exec()) ?? [];
      part.forEach((item, k) => {
        const [err, exists] = results[k] ?? [null, 0];
        if (err) throw err;
        if (Number(exists) === 0) missing.push(item);
      });
    }
    return missing;
  }

  /** BullMQ's key of a job's hash: `<prefix>:<queue>:<jobId>`. */
  private jobKey(provider: ProviderName, id: string): string {
    return `${this.config.redis.queuePrefix}:${PROVIDER_QUEUES[provider]}:${id}`;
  }
}
