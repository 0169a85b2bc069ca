import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { AppConfig } from '../core/config/app-config';
import { SchedulesService } from './schedules.service';

/**
 * Worker only (listed in WorkerModule): mirrors the reconciler and the schedules into BullMQ job
 * schedulers at start, and again every reconcile interval, so that a Redis that restarted empty
 * gets them back (the reconciler itself could not run to do it).
 */
@Injectable()
export class SchedulerSync implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('SchedulerSync');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly schedules: SchedulesService,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.sync();
    this.timer = setInterval(() => void this.sync(), Math.max(1000, this.config.runs.reconcileIntervalMs));
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async sync(): Promise<void> {
    try {
      await this.schedules.sync();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'could not sync job schedulers; will retry');
    }
  }
}
