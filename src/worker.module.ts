import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { CampaignsModule } from './campaigns/campaigns.module';
import { CoreModule } from './core/core.module';
import { ProcessorCheck } from './core/queue/processor-check';
import { MaintenanceProcessor } from './runs/maintenance.processor';

/**
 * The worker process: the same feature modules as the API, plus the queue processors. This is
 * the only module that lists processors, so the API never consumes jobs.
 */
@Module({
  imports: [CoreModule, DiscoveryModule, CampaignsModule],
  providers: [MaintenanceProcessor, ProcessorCheck],
})
export class WorkerModule {}
