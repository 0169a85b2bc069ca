import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { QueueName } from '../core/queue/queue-names';
import { MaintenanceJob } from './runs.jobs';

/** The maintenance queue's consumer. Listed only in WorkerModule. */
@Processor(QueueName.Maintenance)
export class MaintenanceProcessor extends WorkerHost {
  private readonly logger = new Logger(MaintenanceProcessor.name);

  async process(job: Job): Promise<unknown> {
    switch (job.name as MaintenanceJob) {
      case MaintenanceJob.Ping:
        this.logger.log({ job_id: job.id }, 'ping');
        return { pid: process.pid, at: new Date().toISOString() };
      default:
        // Retrying an unknown job name cannot help.
        throw new UnrecoverableError(`unknown maintenance job "${job.name}"`);
    }
  }
}
