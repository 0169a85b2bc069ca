import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { Job, UnrecoverableError } from 'bullmq';
import { AppConfig } from '../core/config/app-config';
import { QueueName } from '../core/queue/queue-names';
import { configureWorker } from '../core/queue/worker-options';
import { RunReconciler } from './run-reconciler';
import { RunMetricsService } from './metrics.service';
import { MaintenanceJob, RescoreJobData, ScheduledRunJobData } from './runs.jobs';
import { SchedulesService } from './schedules.service';

/** The maintenance queue's consumer: the reconciler, scheduled runs and re-scoring. Listed only in WorkerModule. */
@Processor(QueueName.Maintenance)
export class MaintenanceProcessor extends WorkerHost {
  private readonly logger = new Logger(MaintenanceProcessor.name);

  constructor(
    private readonly reconciler: RunReconciler,
    private readonly schedules: SchedulesService,
    private readonly metrics: RunMetricsService,
    config: AppConfig,
  ) {
    super();
    configureWorker(MaintenanceProcessor, config);
  }

  @OnWorkerEvent('error')
  onError(err: Error): void {
    this.logger.warn({ err: err.message }, `worker error: ${err.message}`);
  }

  async process(job: Job): Promise<unknown> {
    switch (job.name as MaintenanceJob) {
      case MaintenanceJob.Ping:
        this.logger.log({ job_id: job.id }, 'ping');
        return { pid: process.pid, at: new Date().toISOString() };
      case MaintenanceJob.Reconcile:
        return this.reconciler.reconcile();
      case MaintenanceJob.ScheduledRun: {
        const data = plainToInstance(ScheduledRunJobData, job.data ?? {});
        const errors = validateSync(data);
        if (errors.length) throw new UnrecoverableError(`invalid scheduled-run job data: ${errors.map((e) => e.property).join(', ')}`);
        return { runId: await this.schedules.fire(data.scheduleId, String(job.id)) };
      }
      case MaintenanceJob.Rescore: {
        const data = plainToInstance(RescoreJobData, job.data ?? {});
        if (validateSync(data).length) throw new UnrecoverableError('invalid rescore job data: runId');
        return this.metrics.rescore(data.runId);
      }
      default:
        // Retrying an unknown job name cannot help.
        throw new UnrecoverableError(`unknown maintenance job "${job.name}"`);
    }
  }
}
