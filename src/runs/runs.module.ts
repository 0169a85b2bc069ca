import { Module } from '@nestjs/common';
import { CampaignsModule } from '../campaigns';
import { modeRepository } from '../core/database/mode-repository';
import { ProvidersModule } from '../providers';
import { CampaignMetricsController } from './campaign-metrics.controller';
import { RunMetricsService } from './metrics.service';
import { RunCompatRepository } from './run-compat.repository';
import { RunFullRepository } from './run-full.repository';
import { RunItemCompatRepository } from './run-item-compat.repository';
import { RunItemFullRepository } from './run-item-full.repository';
import { RunItemExecutor } from './run-item.executor';
import { RunItemRepository } from './run-item.repository';
import { RunMetricsCompatRepository } from './run-metrics-compat.repository';
import { RunMetricsFullRepository } from './run-metrics-full.repository';
import { RunMetricsRepository } from './run-metrics.repository';
import { RunQueues } from './run-queues';
import { RunReconciler } from './run-reconciler';
import { RunRepository } from './run.repository';
import { RunsController } from './runs.controller';
import { RunsService } from './runs.service';
import { ScheduleCompatRepository } from './schedule-compat.repository';
import { ScheduleFullRepository } from './schedule-full.repository';
import { ScheduleRepository } from './schedule.repository';
import { SchedulesController } from './schedules.controller';
import { SchedulesService } from './schedules.service';

/**
 * Runs, their items and schedules. The API uses the controllers and the service; the worker adds
 * the processors (WorkerModule), which call the executor, the reconciler and the schedules.
 */
@Module({
  imports: [CampaignsModule, ProvidersModule],
  controllers: [RunsController, SchedulesController, CampaignMetricsController],
  providers: [
    modeRepository(RunRepository, RunFullRepository, RunCompatRepository),
    modeRepository(RunItemRepository, RunItemFullRepository, RunItemCompatRepository),
    modeRepository(ScheduleRepository, ScheduleFullRepository, ScheduleCompatRepository),
    modeRepository(RunMetricsRepository, RunMetricsFullRepository, RunMetricsCompatRepository),
    RunQueues,
    RunMetricsService,
    RunsService,
    SchedulesService,
    RunItemExecutor,
    RunReconciler,
  ],
  exports: [RunsService, SchedulesService, RunMetricsService, RunItemExecutor, RunReconciler, RunItemRepository, RunRepository],
})
export class RunsModule {}
