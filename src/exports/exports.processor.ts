import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AppConfig } from '../core/config/app-config';
import { QueueName } from '../core/queue/queue-names';
import { configureWorker } from '../core/queue/worker-options';
import { ExportJobData, ExportsJob } from './exports.jobs';
import { ExportsService } from './exports.service';

/** The exports queue's consumer: export jobs and the sweep of expired files. Listed only in WorkerModule. */
@Processor(QueueName.Exports)
export class ExportsProcessor extends WorkerHost {
  private readonly logger = new Logger(ExportsProcessor.name);

  constructor(
    private readonly exports: ExportsService,
    config: AppConfig,
  ) {
    super();
    configureWorker(ExportsProcessor, config, { concurrency: config.exports.concurrency });
  }

  @OnWorkerEvent('error')
  onError(err: Error): void {
    this.logger.warn({ err: err.message }, `worker error: ${err.message}`);
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name as ExportsJob) {
      case ExportsJob.Export: {
        const data = plainToInstance(ExportJobData, job.data ?? {});
        if (validateSync(data).length) throw new UnrecoverableError('invalid export job data: exportId');
        return this.exports.execute(data, { last: job.attemptsMade + 1 >= (job.opts.attempts ?? 1) });
      }
      case ExportsJob.Sweep:
        return this.exports.sweep();
      default:
        throw new UnrecoverableError(`unknown exports job "${job.name}"`);
    }
  }
}
