import { Module } from '@nestjs/common';
import { CampaignsModule } from '../campaigns';
import { AppConfig } from '../core/config/app-config';
import { modeRepository } from '../core/database/mode-repository';
import { RunsModule } from '../runs/runs.module';
import { ExportJobCompatRepository } from './export-job-compat.repository';
import { ExportJobFullRepository } from './export-job-full.repository';
import { ExportJobRepository } from './export-job.repository';
import { ExportSourceCompatRepository } from './export-source-compat.repository';
import { ExportSourceFullRepository } from './export-source-full.repository';
import { ExportSourceRepository } from './export-source.repository';
import { ExportsController } from './exports.controller';
import { ExportsService } from './exports.service';
import { MapperRegistry } from './mappers/mapper';
import { WebhookMapper } from './mappers/webhook.mapper';

/**
 * Exports: streamed downloads, export jobs and mappers. The worker adds the processor and the
 * sweep's scheduler (WorkerModule). A new mapper is one more entry in the registry below.
 */
@Module({
  imports: [CampaignsModule, RunsModule],
  controllers: [ExportsController],
  providers: [
    modeRepository(ExportSourceRepository, ExportSourceFullRepository, ExportSourceCompatRepository),
    modeRepository(ExportJobRepository, ExportJobFullRepository, ExportJobCompatRepository),
    {
      provide: MapperRegistry,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => new MapperRegistry([new WebhookMapper(config.webhookAllowedHosts, config.webhook)]),
    },
    ExportsService,
  ],
  exports: [ExportsService],
})
export class ExportsModule {}
