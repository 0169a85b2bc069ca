import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AppConfig, ProviderName } from '../core/config/app-config';
import { QueueName } from '../core/queue/queue-names';
import { configureWorker } from '../core/queue/worker-options';
import { ProviderError } from '../providers';
import { ItemOutcome, RunItemExecutor } from './run-item.executor';
import { RUN_ITEM_BACKOFF } from './run-queues';
import { RunItemJobData } from './runs.jobs';

/**
 * A provider queue's consumer: validates the job's data and hands the item to the executor. The
 * worker options come from the configuration (the decorator is static): concurrency per provider,
 * and the same stalled interval and lock duration on every worker, so a killed worker's jobs come
 * back within one interval. Set in the constructor, which runs before @nestjs/bullmq creates the
 * BullMQ Worker from the metadata.
 */
abstract class RunItemProcessor extends WorkerHost {
  protected constructor(
    private readonly executor: RunItemExecutor,
    config: AppConfig,
    provider: ProviderName,
  ) {
    super();
    configureWorker(new.target, config, {
      concurrency: config.providers[provider].concurrency,
      settings: { backoffStrategy: (attemptsMade, type, err) => (type === RUN_ITEM_BACKOFF ? executor.backoff(attemptsMade, type, err) : 1000) },
    });
  }

  private readonly logger = new Logger('RunItemWorker');
  private lastError = 0;

  /**
   * BullMQ emits 'error' for a lost connection or a job whose lock went away (its keys were deleted,
   * or it stalled and another worker took it); without a listener the process would crash. Logged,
   * at most one a second: the database and the reconciler keep the items right.
   */
  @OnWorkerEvent('error')
  onError(err: Error): void {
    if (Date.now() - this.lastError < 1000) return;
    this.lastError = Date.now();
    this.logger.warn({ err: err.message }, `worker error: ${err.message}`);
  }

  /**
   * A job that threw something other than a provider error (the database was away, a bug) used up
   * its attempts: the item stays queued or running in the database and the reconciler enqueues it
   * again, so this only needs to be seen.
   */
  @OnWorkerEvent('failed')
  onFailed(job: Job | undefined, err: Error): void {
    // A provider's retryable error is rethrown on purpose (BullMQ retries it); the executor logs those.
    if (err instanceof ProviderError) return;
    const final = !job || job.attemptsMade >= (job.opts.attempts ?? 1);
    const log = { job_id: job?.id, run_id: (job?.data as RunItemJobData | undefined)?.runId, attempt: job?.attemptsMade, err: err.message };
    if (final) this.logger.error(log, `run item job gave up (the reconciler will enqueue the item again): ${err.message}`);
    else this.logger.warn(log, `run item job failed, will retry: ${err.message}`);
  }

  async process(job: Job, token?: string): Promise<ItemOutcome> {
    const data = plainToInstance(RunItemJobData, job.data ?? {});
    const errors = validateSync(data);
    if (errors.length) throw new UnrecoverableError(`invalid run-item job data: ${errors.map((e) => e.property).join(', ')}`);
    return this.executor.execute(job, token, data.itemId);
  }
}

@Processor(QueueName.ProviderOpenai)
export class OpenaiRunItemProcessor extends RunItemProcessor {
  constructor(executor: RunItemExecutor, config: AppConfig) {
    super(executor, config, 'openai');
  }
}

@Processor(QueueName.ProviderGemini)
export class GeminiRunItemProcessor extends RunItemProcessor {
  constructor(executor: RunItemExecutor, config: AppConfig) {
    super(executor, config, 'gemini');
  }
}

@Processor(QueueName.ProviderPerplexity)
export class PerplexityRunItemProcessor extends RunItemProcessor {
  constructor(executor: RunItemExecutor, config: AppConfig) {
    super(executor, config, 'perplexity');
  }
}
