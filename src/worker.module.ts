import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CampaignsModule } from './campaigns/campaigns.module';
import { CoreModule } from './core/core.module';
import { WorkerMetricsServer } from './core/metrics/worker-metrics.server';
import { ProcessorCheck } from './core/queue/processor-check';
import { ExportSweepSync } from './exports/export-sweep-sync.service';
import { ExportsModule } from './exports/exports.module';
import { ExportsProcessor } from './exports/exports.processor';
import { MaintenanceProcessor } from './runs/maintenance.processor';
import { GeminiRunItemProcessor, OpenaiRunItemProcessor, PerplexityRunItemProcessor } from './runs/run-item.processor';
import { RunsModule } from './runs/runs.module';
import { SchedulerSync } from './runs/scheduler-sync.service';

/**
 * The worker process: the same feature modules as the API, plus the queue processors. This is
 * the only module that lists processors, so the API never consumes jobs.
 */
@Module({
  imports: [CoreModule, DiscoveryModule, CampaignsModule, RunsModule, ExportsModule],
  providers: [MaintenanceProcessor, OpenaiRunItemProcessor, GeminiRunItemProcessor, PerplexityRunItemProcessor, ExportsProcessor, SchedulerSync, ExportSweepSync, WorkerMetricsServer, ProcessorCheck],
})
export class WorkerModule {}
